/**
 * `workflow completion bash|zsh|fish`: a completion script for the shell. Each script lists
 * the verbs (from the commander program, so they cannot drift from it) and asks the CLI
 * itself, `workflow __complete <words...>`, for everything else: options, step numbers from
 * `schedule.md`, open question ids. See `complete-words.ts` for what is offered where.
 */
import { UsageError } from '../errors.js';
import { DIRS, FILES, SHELLS, type CompletionVerb } from './complete-words.js';
import { defineVerb, type CommonOptions, type VerbIO } from './verb.js';

/** The name of the hidden verb the scripts call; `program.ts` runs it without commander. */
export const COMPLETE_VERB = '__complete';

/** The bash script: `_workflow` fills COMPREPLY from the verbs, or from `workflow __complete`. */
function bashScript(verbs: string): string {
  return `# workflow completion for bash. Load it with: source <(workflow completion bash)
_workflow() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" reply
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${verbs}" -- "$cur"))
    return
  fi
  local IFS=$'\\n'
  reply=($(workflow ${COMPLETE_VERB} "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  case "\${reply[0]}" in
    ${DIRS}) COMPREPLY=($(compgen -d -- "$cur")) ;;
    ${FILES}) COMPREPLY=($(compgen -f -- "$cur")) ;;
    *) COMPREPLY=("\${reply[@]}") ;;
  esac
}
complete -o filenames -F _workflow workflow
`;
}

/** The zsh script, for `compdef`. */
function zshScript(verbs: string): string {
  return `#compdef workflow
# workflow completion for zsh. Load it with: source <(workflow completion zsh)
_workflow() {
  local -a reply
  if (( CURRENT == 2 )); then
    compadd -- ${verbs}
    return
  fi
  reply=("\${(@f)$(workflow ${COMPLETE_VERB} "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  case "\${reply[1]}" in
    ${DIRS}) _path_files -/ ;;
    ${FILES}) _files ;;
    *) compadd -- "\${reply[@]}" ;;
  esac
}
compdef _workflow workflow
`;
}

/** The fish script. */
function fishScript(verbs: string): string {
  return `# workflow completion for fish. Load it with: workflow completion fish | source
function __workflow_complete
    set -l words (commandline -opc) (commandline -ct)
    set -e words[1]
    set -l reply (workflow ${COMPLETE_VERB} $words 2>/dev/null)
    switch "$reply[1]"
        case ${DIRS}
            __fish_complete_directories (commandline -ct)
        case ${FILES}
            __fish_complete_path (commandline -ct)
        case '*'
            printf '%s\\n' $reply
    end
end
complete -c workflow -f -n __fish_use_subcommand -a '${verbs}'
complete -c workflow -f -n 'not __fish_use_subcommand' -a '(__workflow_complete)'
`;
}

/**
 * The completion script of `shell` for the program `model` describes.
 *
 * @throws {UsageError} for a shell other than bash, zsh or fish.
 */
export function completionScript(shell: string, model: CompletionVerb): string {
  const verbs = model.verbs.map((verb) => verb.name).join(' ');
  if (shell === 'bash') return bashScript(verbs);
  if (shell === 'zsh') return zshScript(verbs);
  if (shell === 'fish') return fishScript(verbs);
  throw new UsageError(`completion scripts are for ${SHELLS.join(', ')}; got '${shell}'`);
}

/** `workflow completion <shell>`: print the completion script of a shell. */
export function completionCommand(io: VerbIO, model: () => CompletionVerb) {
  return defineVerb<[string], CommonOptions>(
    {
      usage: 'completion <shell>',
      summary: 'Print a completion script for bash, zsh or fish: verbs, options, step numbers and open question ids.',
      examples: [
        '$ source <(workflow completion bash)      # in ~/.bashrc',
        '$ source <(workflow completion zsh)       # in ~/.zshrc',
        '$ workflow completion fish > ~/.config/fish/completions/workflow.fish',
      ],
    },
    io,
    (shell) => {
      const script = completionScript(shell, model());
      return { text: script.trimEnd(), json: { shell, script } };
    },
  );
}
