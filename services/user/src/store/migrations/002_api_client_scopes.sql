-- What an API key may do beyond the rider API: "ops" reads fleet-wide figures.
ALTER TABLE api_clients ADD COLUMN scopes text[] NOT NULL DEFAULT '{}';
