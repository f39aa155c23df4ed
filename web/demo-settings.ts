// What the gateway offers the pages in development: the demo keys and rider that `npm start` made
// (production serves none of it). Either page works without them: nothing is prefilled then.
export interface DemoSettings {
  apiKey?: string;
  /** A key with the ops scope, for the dashboard. */
  opsApiKey?: string;
  demoRider?: { email: string; password: string };
}

export async function loadDemoSettings(): Promise<DemoSettings> {
  try {
    const response = await fetch('/graphql/explorer/settings.json');
    return response.ok ? ((await response.json()) as DemoSettings) : {};
  } catch {
    return {};
  }
}
