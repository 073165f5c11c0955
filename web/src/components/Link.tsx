import type { ComponentChildren } from 'preact';
import { navigate, shouldHandleClick } from '../router';

interface Props {
  href: string;
  children: ComponentChildren;
  class?: string;
  current?: boolean;
  'data-testid'?: string;
}

export function Link({ href, children, current, ...rest }: Props) {
  const onClick = (e: MouseEvent) => {
    if (!shouldHandleClick(e)) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} aria-current={current ? 'page' : undefined} {...rest}>
      {children}
    </a>
  );
}
