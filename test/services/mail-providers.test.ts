// The user service's mail providers against real servers: SMTP (nodemailer) to an SMTP server on
// loopback, and the sandbox, which writes files and keeps the codes out of the database and the log.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { SmtpMailer } from '../../services/user/src/providers/smtp-mailer';
import { graphql } from '../support/graphql-client';
import { codeIn, MailCatcher, sandboxMail } from '../support/mail';
import { describeWithPostgres } from '../support/postgres';
import { SingleService, testCredentials } from '../support/stack';
import { httpDispatcher } from '../../services/platform/src/mesh/http-dispatcher';

const silent = pino({ level: 'silent' });
const message = { to: 'rider@example.test', subject: 'Confirm your address for EcoWheels', text: 'Enter this code: abc123' };

describe('SMTP mail (nodemailer) to a real SMTP server', () => {
  let catcher: MailCatcher;
  beforeAll(async () => {
    catcher = await MailCatcher.start();
  });
  afterAll(() => catcher.stop());

  it('logs in and delivers the message from the configured sender', async () => {
    const mailer = new SmtpMailer({ url: catcher.url, from: 'EcoWheels <no-reply@ecowheels.example>' }, silent);
    await mailer.send(message);
    mailer.close();
    expect(catcher.mailTo('rider@example.test')[0]).toEqual({ to: ['rider@example.test'], subject: message.subject, text: 'Enter this code: abc123\n' });
  });

  it('answers UNAVAILABLE, try again later, when the server refuses the message or the login', async () => {
    catcher.refuseWith = 'Mailbox unavailable';
    const mailer = new SmtpMailer({ url: catcher.url, from: 'no-reply@ecowheels.example' }, silent);
    await expect(mailer.send(message)).rejects.toMatchObject({ kind: 'UNAVAILABLE', message: 'the mail could not be sent just now; try again in a few minutes' });
    mailer.close();
    catcher.refuseWith = undefined;
    const wrongLogin = new SmtpMailer({ url: catcher.url.replace('catcher-password', 'wrong'), from: 'no-reply@ecowheels.example' }, silent);
    await expect(wrongLogin.send(message)).rejects.toMatchObject({ kind: 'UNAVAILABLE' });
    wrongLogin.close();
  });
});

describeWithPostgres('the sandbox mailer', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-sandbox-mail-'));
  let running: SingleService;
  beforeAll(async () => {
    running = await SingleService.start('user', { DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes the mail to a file only its owner reads, and keeps the code out of the database and the log', async () => {
    const email = `sandbox-${randomUUID()}@example.test`;
    const signUp = () =>
      graphql(running.process.graphqlUrl, 'mutation ($e: String!) { signUp(email: $e, password: "copper kettle under nine lanterns", displayName: "Sandy") { errors { code } } }', {
        variables: { e: email },
        dispatcher: httpDispatcher(testCredentials('gateway')),
      });
    // Moments after the service started, it may still be loading the password check's dictionaries
    // and answer "try again in a few seconds" (far longer at the busiest start of a run): as an app
    // would, it is tried again two seconds later, up to eight times (ten sign-ups an hour per address).
    let answer = await signUp();
    for (let retries = 0; retries < 8 && answer.errors?.[0]?.extensions?.code === 'SERVICE_UNAVAILABLE'; retries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      answer = await signUp();
    }
    expect(answer.data!.signUp.errors).toEqual([]);
    const [mail] = await sandboxMail(dataDir, email);
    expect(mail.subject).toBe('Confirm your address for EcoWheels');
    const code = codeIn(mail);
    expect(statSync(join(dataDir, 'user-sandbox-mail')).mode & 0o777).toBe(0o700);
    const tables = await running.db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    expect(tables.map((table) => table.table_name)).not.toContain('sandbox_mailbox');
    expect(await running.db.query('SELECT 1 FROM riders WHERE email_code_hash = $1', [code])).toEqual([]);
    const log = running.process.output.join('\n');
    expect(log).toContain('sandbox mail written to a file, not sent');
    expect(log).not.toContain(code);
    expect(log).not.toContain(email);
  });
});
