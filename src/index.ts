/**
 * planspace: the library API. The same operations as the `workflow` CLI, for the engine and
 * for users who script in TypeScript.
 *
 * @example
 * ```ts
 * import { nextStep, markStep } from 'planspace';
 * const outcome = await nextStep('./plan');
 * if (outcome.kind === 'started') await markStep('./plan', 'done', outcome.step.number);
 * ```
 */
export {
  formatProblem,
  isErrno,
  LockError,
  NoSuchStepError,
  PlanspaceError,
  ScheduleNotFoundError,
  ScheduleSyntaxError,
  UsageError,
  type Problem,
  type SourcePosition,
} from './errors.js';
export { writeFileAtomic } from './fs/atomic.js';
export { UnsafePathError } from './fs/guard.js';
export { LOCK_STALE_MS, withFileLock } from './fs/lock.js';
export { planspacePaths, type PlanspacePaths } from './planspace/paths.js';
export { ATTRIBUTE_KEYS, parseDuration, type AttributeKey } from './schedule/attributes.js';
export { assertName, NAME_PATTERN } from './names.js';
export { decodeSchedule } from './schedule/decode.js';
export { readScheduleFile, updateScheduleFile, type ScheduleChange } from './schedule/file.js';
export { formatSchedule, formatStep } from './schedule/format.js';
export { setStepStatus, setStepStatuses, withStatus } from './schedule/mutate.js';
export {
  markStep,
  nextStep,
  readSchedule,
  retryStep,
  scheduleStatus,
  type MarkStatus,
  type NextOutcome,
  type StepChange,
} from './schedule/operations.js';
export { effectiveNeeds } from './schedule/checks.js';
export {
  isIndentedStep,
  isStepCandidate,
  parseSchedule,
  parseStepLine,
  type LinePlace,
  type StepLineResult,
} from './schedule/parse.js';
export { planNext, planSteps, type NextDecision, type PlannedSkip } from './schedule/plan.js';
export {
  countStatuses,
  isStepStatus,
  STEP_STATUSES,
  type RunCondition,
  type Schedule,
  type StatusCounts,
  type Step,
  type StepAttributes,
  type StepStatus,
} from './schedule/step.js';
export { runCli, type CliStreams, type ProgramName, type RunOptions } from './cli/main.js';
export { DEFAULT_CONCURRENCY, runEngine, type EngineOptions, type EngineOutcome } from './engine/run-engine.js';
export { decodeMessage, encodeMessage, MessageCorruptError, type Envelope, type Message } from './mailbox/envelope.js';
export { ensureMailbox, removeMailboxes } from './mailbox/folders.js';
export { RECORD_BYTES } from './mailbox/records.js';
export { isProcessAlive } from './mailbox/liveness.js';
export { mailboxPaths, type MailboxPaths } from './mailbox/paths.js';
export { countPending } from './mailbox/pending.js';
export { claimAll, MailboxReader, type ClaimedMessage } from './mailbox/reader.js';
export {
  messages,
  openInbox,
  receive,
  ReceiveTimeoutError,
  type Inbox,
  type ReceiveOptions,
} from './mailbox/receive.js';
export { listAgents, register, unregister, type AgentRecord } from './mailbox/registry.js';
export { send, type SendOptions, type SendResult } from './mailbox/send.js';
export { checkpointRef, CheckpointFileError, readCheckpoints, type Checkpoint } from './git/checkpoint-file.js';
export { NoCheckpointError, rollback, RollbackRefusedError, type RollbackOutcome } from './git/rollback.js';
export { checkOutputs, readAllOutputs, type CheckedOutput } from './outputs/inventory.js';
export { OutputsFileError, outputsFile, readOutputRecords, type OutputRecord } from './outputs/record.js';
