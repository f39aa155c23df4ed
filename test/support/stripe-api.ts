// A stand-in for Stripe's API on loopback, for the card processor adapter's tests: the
// PaymentIntents endpoints the adapter calls (create with confirm, capture, cancel, retrieve),
// answering in the shapes of Stripe's API reference (the PaymentIntent object; errors as
// { error: { type, code, decline_code, message, param } } with 402 for card errors), with its
// rules: bearer secret key, form-encoded bodies, Idempotency-Key replays of the first answer (and
// 400 idempotency_error for the same key with other parameters), capture only from
// requires_capture. Stripe's documented test payment methods decide the outcome.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

type Status = 'requires_capture' | 'requires_action' | 'succeeded' | 'canceled';

interface Intent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  currency: string;
  capture_method: string;
  status: Status;
  payment_method: string;
  description: string | null;
  metadata: Record<string, string>;
  last_payment_error: null;
  livemode: false;
  created: number;
  canceled_at: number | null;
  cancellation_reason: string | null;
}

/** Stripe's test payment methods (docs: "Testing"), and what each does. */
const TEST_METHODS: Record<string, { last4: string; outcome: 'approve' | 'authenticate' | { decline: string; message: string } }> = {
  pm_card_visa: { last4: '4242', outcome: 'approve' },
  pm_card_mastercard: { last4: '4444', outcome: 'approve' },
  pm_card_authenticationRequired: { last4: '3184', outcome: 'authenticate' },
  pm_card_chargeDeclined: { last4: '0002', outcome: { decline: 'generic_decline', message: 'Your card was declined.' } },
  pm_card_chargeDeclinedInsufficientFunds: { last4: '9995', outcome: { decline: 'insufficient_funds', message: 'Your card has insufficient funds.' } },
};

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey?: string;
  form: Record<string, string>;
}

export class StripeStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly intents = new Map<string, Intent>();
  /** Answers the next N requests with 500 api_error (a Stripe fault), to see retries. */
  failNext = 0;
  private readonly replies = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  private sequence = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly secretKey: string,
  ) {}

  static async start(secretKey = 'sk_test_standin'): Promise<StripeStandIn> {
    let standIn: StripeStandIn | undefined;
    const server = createServer((req, res) => void standIn!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    standIn = new StripeStandIn(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`, secretKey);
    return standIn;
  }

  /** The calls of one kind that reached the stand-in (replays included), as `create`, `capture`, `cancel`. */
  calls(kind: 'create' | 'capture' | 'cancel'): RecordedRequest[] {
    return this.requests.filter((request) => request.method === 'POST' && (kind === 'create' ? request.path === '/v1/payment_intents' : request.path.endsWith(`/${kind}`)));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const path = (req.url ?? '').split('?')[0];
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    this.requests.push({ method: req.method ?? '', path, idempotencyKey, form });
    const send = (status: number, body: unknown, replayed = false) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${(this.sequence += 1)}`, ...(replayed ? { 'idempotent-replayed': 'true' } : {}) });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } });
    }
    if (this.failNext > 0) {
      this.failNext -= 1;
      return send(500, { error: { type: 'api_error', message: 'An unknown error occurred.' } });
    }
    if (req.method === 'POST' && idempotencyKey) {
      const fingerprint = createHash('sha256').update(`${path}\n${JSON.stringify(form)}`).digest('hex');
      const earlier = this.replies.get(idempotencyKey);
      if (earlier) {
        if (earlier.fingerprint !== fingerprint) {
          return send(400, { error: { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.` } });
        }
        return send(earlier.status, earlier.body, true);
      }
      const [status, body] = this.answer(req.method, path, form);
      this.replies.set(idempotencyKey, { fingerprint, status, body });
      return send(status, body);
    }
    const [status, body] = this.answer(req.method ?? '', path, form);
    return send(status, body);
  }

  private answer(method: string, path: string, form: Record<string, string>): [number, unknown] {
    if (method === 'POST' && path === '/v1/payment_intents') return this.create(form);
    const match = /^\/v1\/payment_intents\/(pi_\w+)(?:\/(capture|cancel))?$/.exec(path);
    const intent = match && this.intents.get(match[1]);
    if (!intent) return [404, { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'intent', message: `No such payment_intent: '${match?.[1] ?? path}'` } }];
    const unexpected = (action: string): [number, unknown] => [
      400,
      { error: { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message: `This PaymentIntent could not be ${action} because it has a status of ${intent.status}.`, payment_intent: intent } },
    ];
    if (method === 'GET' && !match[2]) return [200, intent];
    if (method === 'POST' && match[2] === 'capture') {
      if (intent.status !== 'requires_capture') return unexpected('captured');
      Object.assign(intent, { status: 'succeeded', amount_received: intent.amount_capturable, amount_capturable: 0 });
      return [200, intent];
    }
    if (method === 'POST' && match[2] === 'cancel') {
      if (intent.status === 'succeeded' || intent.status === 'canceled') return unexpected('canceled');
      Object.assign(intent, { status: 'canceled', amount_capturable: 0, canceled_at: Math.floor(Date.now() / 1000), cancellation_reason: form.cancellation_reason ?? null });
      return [200, intent];
    }
    return [404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` } }];
  }

  private create(form: Record<string, string>): [number, unknown] {
    const method = TEST_METHODS[form.payment_method];
    if (!method) {
      return [400, { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'payment_method', message: `No such PaymentMethod: '${form.payment_method}'` } }];
    }
    const amount = Number(form.amount);
    const intent: Intent = {
      id: `pi_${createHash('sha256').update(String((this.sequence += 1))).digest('hex').slice(0, 24)}`,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_received: 0,
      currency: form.currency,
      capture_method: form.capture_method ?? 'automatic_async',
      status: 'requires_action',
      payment_method: form.payment_method,
      description: form.description ?? null,
      metadata: Object.fromEntries(Object.entries(form).filter(([key]) => key.startsWith('metadata[')).map(([key, value]) => [key.slice(9, -1), value])),
      last_payment_error: null,
      livemode: false,
      created: Math.floor(Date.now() / 1000),
      canceled_at: null,
      cancellation_reason: null,
    };
    if (typeof method.outcome === 'object') {
      return [402, { error: { type: 'card_error', code: 'card_declined', decline_code: method.outcome.decline, message: method.outcome.message, payment_intent: { ...intent, status: 'requires_payment_method' } } }];
    }
    this.intents.set(intent.id, intent);
    if (method.outcome === 'approve' && form.confirm === 'true') {
      Object.assign(intent, form.capture_method === 'manual' ? { status: 'requires_capture', amount_capturable: amount } : { status: 'succeeded', amount_received: amount });
    }
    // expand[]=payment_method: the PaymentMethod object in place of its id.
    const expanded = Object.entries(form).some(([key, value]) => key.startsWith('expand[') && value === 'payment_method');
    return [200, expanded ? { ...intent, payment_method: { id: form.payment_method, object: 'payment_method', type: 'card', card: { brand: 'visa', last4: method.last4 } } } : intent];
  }
}
