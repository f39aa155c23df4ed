// The five services, by the names their processes, databases, images and mesh identities carry (the
// GraphQL gateway is the sixth process). A module with no imports, so that the telemetry SDK, which
// loads before anything it instruments, may read it as well as the launcher.
export const SERVICE_NAMES = ['user', 'inventory', 'payment', 'ride', 'telematics'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
