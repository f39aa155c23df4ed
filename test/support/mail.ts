// The mail the user service sends, as tests read it: a real SMTP server on loopback (smtp-server,
// nodemailer's own, on a free port, with a login), and the sandbox mailer's folder of .eml files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
}

const parse = async (raw: Buffer | string): Promise<ReceivedMail> => {
  const mail = await simpleParser(raw);
  const to = [mail.to ?? []].flat().flatMap((address) => address.value.map((entry) => entry.address ?? ''));
  return { to, subject: mail.subject ?? '', text: mail.text ?? '' };
};

export class MailCatcher {
  readonly received: ReceivedMail[] = [];
  /** Set to make the server refuse every message with this SMTP reply (as a full mailbox would). */
  refuseWith?: string;

  private constructor(
    private readonly server: SMTPServer,
    readonly url: string,
  ) {}

  static async start(login = { user: 'ecowheels', password: 'catcher-password' }): Promise<MailCatcher> {
    let catcher: MailCatcher | undefined;
    const server = new SMTPServer({
      authOptional: false,
      // Loopback only: no TLS to offer, and the login may go in the clear here.
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (auth.username === login.user && auth.password === login.password) callback(null, { user: auth.username });
        else callback(new Error('Invalid username or password'));
      },
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (catcher?.refuseWith) return callback(new Error(catcher.refuseWith));
          parse(Buffer.concat(chunks)).then((mail) => {
            catcher!.received.push(mail);
            callback();
          }, callback);
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as { port: number };
    catcher = new MailCatcher(server, `smtp://${login.user}:${login.password}@127.0.0.1:${port}`);
    return catcher;
  }

  /** What arrived for an address, newest first. */
  mailTo(address: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.to.includes(address)).reverse();
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** What the sandbox mailer wrote for an address under a stack's DATA_DIR, newest first. */
export async function sandboxMail(dataDir: string, address: string): Promise<ReceivedMail[]> {
  const folder = join(dataDir, 'user-sandbox-mail');
  const files = readdirSync(folder).filter((name) => name.endsWith('.eml')).sort().reverse();
  const mails = await Promise.all(files.map((name) => parse(readFileSync(join(folder, name)))));
  return mails.filter((mail) => mail.to.includes(address));
}

/** The confirmation code in a mail's text. */
export const codeIn = (mail: ReceivedMail) => /code=([\w-]+)/.exec(mail.text)![1];
