// The password check as a worker thread runs it (workers/password-strength.ts starts the thread).
import { passwordProblem, type PersonalWords } from '../domain/password-policy';

export default function judge(task: { password: string; personal: PersonalWords }): string | undefined {
  return passwordProblem(task.password, task.personal);
}
