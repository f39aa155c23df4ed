/** The rider app's name and version, as the gateway sees them (`apollographql-client-*` headers). */
export const RIDER_APP = { name: 'rider-app', version: '1.0.0' } as const;
