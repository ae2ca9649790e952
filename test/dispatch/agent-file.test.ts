/**
 * Agent files whose frontmatter fields have the wrong type: YAML reads `model: true` as a
 * boolean and `model: 4` as a number, and the error must say so, with the file and line,
 * instead of claiming the field is missing.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentFileError, parseAgentFile } from '../../src/dispatch/agent-file.js';
import { hashFile, makeTree, runWorkflow } from '../helpers.js';

/** The error `parseAgentFile` throws for `text`, read from file `a.md`. */
function agentFileError(text: string): AgentFileError {
  try {
    parseAgentFile(text, 'a.md');
  } catch (error) {
    if (error instanceof AgentFileError) return error;
    throw error;
  }
  throw new Error('expected parseAgentFile to refuse the file');
}

describe('agent file frontmatter of the wrong type', () => {
  it.each([
    ['model: true', "a.md:3: frontmatter 'model' must be a model name (a string), got boolean true"],
    ['model: false', "a.md:3: frontmatter 'model' must be a model name (a string), got boolean false"],
    ['model: 4', "a.md:3: frontmatter 'model' must be a model name (a string), got number 4"],
    ['model: [a, b]', "a.md:3: frontmatter 'model' must be a model name (a string), got a list"],
    ['model:\n  name: x', "a.md:3: frontmatter 'model' must be a model name (a string), got a mapping"],
    ['model:', "a.md:3: frontmatter 'model' must be a model name (a string), got an empty value"],
    ['model: ""', "a.md:3: frontmatter 'model' must be a model name (a string), got an empty string"],
  ])('names the line and the type of %j', (field, message) => {
    const error = agentFileError(`---\ndescription: handles failures\n${field}\n---\nbody\n`);
    expect(error.message).toBe(message);
  });

  it('names a description that is not text', () => {
    const error = agentFileError('---\nmodel: claude-opus\ndescription: 12\n---\nbody\n');
    expect(error.message).toBe("a.md:3: frontmatter 'description' must be text (a string), got number 12");
  });

  it('names frontmatter that is a list or a single value instead of keys and values', () => {
    expect(agentFileError('---\n- model\n- claude-opus\n---\nbody\n').message).toBe(
      "a.md:2: frontmatter must be keys and values such as 'model: <name>', got a list",
    );
    expect(agentFileError('---\nclaude-opus\n---\nbody\n').message).toBe(
      'a.md:2: frontmatter must be keys and values such as \'model: <name>\', got the string "claude-opus"',
    );
  });

  it('names the file line of a YAML syntax error', () => {
    expect(agentFileError('---\ndescription: x\nmodel: "open\n---\nbody\n').message).toBe(
      'a.md:3:13: bad YAML frontmatter: Missing closing "quote',
    );
    expect(agentFileError('---\nmodel: a\nmodel: b\n---\nbody\n').message).toBe(
      'a.md:3:1: bad YAML frontmatter: Map keys must be unique',
    );
  });

  it('still says a missing model is missing, and reads a good file', () => {
    expect(agentFileError('---\ndescription: x\n---\nbody').message).toBe("a.md: frontmatter has no 'model'");
    expect(parseAgentFile('---\nmodel: claude-opus\n---\nbody\n', 'a.md')).toEqual({
      file: 'a.md',
      model: 'claude-opus',
      description: '',
      body: 'body\n',
    });
  });
});

describe('workflow check with an exception handler whose model is `true`', () => {
  it('exits 2 naming the file, the line and the boolean, and changes nothing', async () => {
    const root = await makeTree({
      'plan/schedule.md': '# Schedule: x\n\n[wait] 1. build | m -- build it\n',
      'models/m.toml': 'command = "true"\n',
      'agents/exception-handler.md': '---\ndescription: handles failures\nmodel: true\n---\nFix it.\n',
    });
    const handler = join(root, 'agents', 'exception-handler.md');
    const before = await hashFile(handler);
    const result = await runWorkflow([
      'check',
      join(root, 'plan'),
      '--models',
      join(root, 'models'),
      '--agents',
      join(root, 'agents'),
      '--codespace',
      root,
    ]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe(
      `exception handler: ${handler}:3: frontmatter 'model' must be a model name (a string), got boolean true\n`,
    );
    expect(await hashFile(handler)).toBe(before);
  });
});
