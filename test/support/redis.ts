// The Redis server the shared rate-limit tests use (127.0.0.1:6379, as on the CI machines).
import { describeNeeding } from './required-server';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const describeWithRedis = (name: string, body: () => void) =>
  describeNeeding(
    {
      name: 'Redis',
      url: REDIS_URL,
      variable: 'TEST_REDIS_URL',
      probe: `const R=require('ioredis');const r=new R(${JSON.stringify(REDIS_URL)},{lazyConnect:true,maxRetriesPerRequest:0,connectTimeout:3000});r.connect().then(()=>r.ping()).then(()=>{r.disconnect();process.exit(0)},()=>process.exit(1))`,
    },
    name,
    body,
  );
