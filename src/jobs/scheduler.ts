export function startScheduler(_: unknown): { stop(): Promise<void> } { return { stop: async () => undefined }; }
