# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_guard_global_optspecs
    string join \n h/help V/version
end

function __fish_guard_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_guard_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_guard_using_subcommand
    set -l cmd (__fish_guard_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c guard -n "__fish_guard_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_needs_command" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_needs_command" -f -a "install" -d 'Put shims (symlinks to guard) for TOOLs into the shim directory'
complete -c guard -n "__fish_guard_needs_command" -f -a "uninstall" -d 'Remove the shims for TOOLs'
complete -c guard -n "__fish_guard_needs_command" -f -a "env" -d 'Print shell code that puts the shim directory first on PATH: eval "$(guard env)"'
complete -c guard -n "__fish_guard_needs_command" -f -a "explain" -d 'Show what guard would decide for a command, and why, without running it'
complete -c guard -n "__fish_guard_needs_command" -f -a "allow" -d 'Let a refused command run: approve a pending request, or pre-approve an exact command'
complete -c guard -n "__fish_guard_needs_command" -f -a "log" -d 'Show the audit log, newest last'
complete -c guard -n "__fish_guard_needs_command" -f -a "passphrase" -d 'Set or clear the passphrase that approvals (and, if configured, confirmations) require'
complete -c guard -n "__fish_guard_needs_command" -f -a "run" -d 'Run a program (an agent) with the shim directory first on PATH for its whole process tree, marked as a guard run session in the audit log'
complete -c guard -n "__fish_guard_needs_command" -f -a "doctor" -d 'Check that this set-up protects you: shims and PATH, real tools, rules, state, the passphrase and the lock, and the bypasses left open; each problem with its fix'
complete -c guard -n "__fish_guard_needs_command" -f -a "lock" -d 'Lock the machine (run with sudo): /etc/guard/config.yaml takes your passphrase\'s hash and key and requires the passphrase for every approval, and your own rule layer may then only tighten (no `disable` of yours counts)'
complete -c guard -n "__fish_guard_needs_command" -f -a "disable" -d 'Switch rules off. With a passphrase set, a human types it and each entry is sealed with its key; a `disable:` written by hand is then ignored (docs/threat-model.md)'
complete -c guard -n "__fish_guard_needs_command" -f -a "lint" -d 'Check rule files: syntax, unknown keys, regexes, duplicate ids, examples, dead rules'
complete -c guard -n "__fish_guard_needs_command" -f -a "hook" -d 'Agents\' pre-command hooks: `guard hook AGENT` judges a hook input (JSON on stdin) and answers in the agent\'s protocol; `guard hook install AGENT` puts it into the agent\'s settings'
complete -c guard -n "__fish_guard_needs_command" -f -a "schema" -d 'Print the JSON Schema of the rule format (docs/guard-rules.schema.json)'
complete -c guard -n "__fish_guard_needs_command" -f -a "completions" -d 'Print shell completions: guard completions bash > /etc/bash_completion.d/guard'
complete -c guard -n "__fish_guard_needs_command" -f -a "man" -d 'Print the man page (roff): guard man | man -l -'
complete -c guard -n "__fish_guard_needs_command" -f -a "rules" -d 'List the rules in effect, with the file each comes from'
complete -c guard -n "__fish_guard_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand install" -l dir -d 'Shim directory [default: $GUARD_SHIM_DIR, else $XDG_DATA_HOME/guard/shims]' -r -F
complete -c guard -n "__fish_guard_using_subcommand install" -l all -d 'Every tool named by the loaded rules that exists on PATH'
complete -c guard -n "__fish_guard_using_subcommand install" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand uninstall" -l dir -r -F
complete -c guard -n "__fish_guard_using_subcommand uninstall" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand env" -l shell -r -f -a "bash\t''
zsh\t''
fish\t''"
complete -c guard -n "__fish_guard_using_subcommand env" -l dir -r -F
complete -c guard -n "__fish_guard_using_subcommand env" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand explain" -l shell -d 'A shell command string, judged as bash would run it: every simple command in it (pipelines, lists, substitutions, `sh -c`, wrappers), the strictest decision wins' -r
complete -c guard -n "__fish_guard_using_subcommand explain" -l json -d 'Print one JSON object: decision, rules[].{id,action,reason,source}, real_path'
complete -c guard -n "__fish_guard_using_subcommand explain" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand allow" -l uses -d 'How many times the command may run' -r
complete -c guard -n "__fish_guard_using_subcommand allow" -l for -d 'How long the grant lasts, e.g. 30s, 15m, 2h' -r
complete -c guard -n "__fish_guard_using_subcommand allow" -l cwd -d 'Directory the command must run in [default: the request\'s, or the current one]' -r -F
complete -c guard -n "__fish_guard_using_subcommand allow" -l revoke -d 'Remove a grant (or every grant, with --all)' -r
complete -c guard -n "__fish_guard_using_subcommand allow" -l list -d 'Show live grants and pending requests'
complete -c guard -n "__fish_guard_using_subcommand allow" -l all -d 'With --revoke: remove every grant'
complete -c guard -n "__fish_guard_using_subcommand allow" -l watch -d 'Keep watching for pending requests and offer each as it comes (Ctrl-C ends)'
complete -c guard -n "__fish_guard_using_subcommand allow" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand log" -s n -l lines -d 'How many entries' -r
complete -c guard -n "__fish_guard_using_subcommand log" -l json -d 'One JSON object per line'
complete -c guard -n "__fish_guard_using_subcommand log" -l denied -d 'Only refused commands'
complete -c guard -n "__fish_guard_using_subcommand log" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand passphrase" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand run" -l dir -d 'Shim directory [default: $GUARD_SHIM_DIR, else $XDG_DATA_HOME/guard/shims]' -r -F
complete -c guard -n "__fish_guard_using_subcommand run" -l strict -d 'Judge every exec of the tree, by its real program and arguments, race-free (Linux: seccomp and ptrace; docs/strict-mode.md). Refuses to start where it cannot'
complete -c guard -n "__fish_guard_using_subcommand run" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand doctor" -l dir -r -F
complete -c guard -n "__fish_guard_using_subcommand doctor" -l json -d 'Print the checks as JSON: [{check, status: ok|warn|fail, detail, fix}]'
complete -c guard -n "__fish_guard_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand lock" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand disable" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand lint" -l format -r -f -a "human\t''
json\t''
github\t''"
complete -c guard -n "__fish_guard_using_subcommand lint" -l deny-warnings -d 'Treat warnings as errors (exit 1 when any is found)'
complete -c guard -n "__fish_guard_using_subcommand lint" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -a "install" -d 'Merge guard\'s hook into AGENT\'s settings (a backup is kept; nothing else changes)'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -a "uninstall" -d 'Take guard\'s hook out of AGENT\'s settings (needs the passphrase, if one is set)'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from install" -l system -d 'Into the agent\'s managed, machine-wide file under /etc, which users cannot override (run with sudo)'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l system
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "install" -d 'Merge guard\'s hook into AGENT\'s settings (a backup is kept; nothing else changes)'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "uninstall" -d 'Take guard\'s hook out of AGENT\'s settings (needs the passphrase, if one is set)'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand schema" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand completions" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand man" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand rules" -l tool -d 'Only rules for this tool' -r
complete -c guard -n "__fish_guard_using_subcommand rules" -l json -d 'One JSON object per rule'
complete -c guard -n "__fish_guard_using_subcommand rules" -l markdown -d 'A Markdown table per pack (docs/packs.md is this output for the bundled packs)'
complete -c guard -n "__fish_guard_using_subcommand rules" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "install" -d 'Put shims (symlinks to guard) for TOOLs into the shim directory'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "uninstall" -d 'Remove the shims for TOOLs'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "env" -d 'Print shell code that puts the shim directory first on PATH: eval "$(guard env)"'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "explain" -d 'Show what guard would decide for a command, and why, without running it'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "allow" -d 'Let a refused command run: approve a pending request, or pre-approve an exact command'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "log" -d 'Show the audit log, newest last'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "passphrase" -d 'Set or clear the passphrase that approvals (and, if configured, confirmations) require'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "run" -d 'Run a program (an agent) with the shim directory first on PATH for its whole process tree, marked as a guard run session in the audit log'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "doctor" -d 'Check that this set-up protects you: shims and PATH, real tools, rules, state, the passphrase and the lock, and the bypasses left open; each problem with its fix'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "lock" -d 'Lock the machine (run with sudo): /etc/guard/config.yaml takes your passphrase\'s hash and key and requires the passphrase for every approval, and your own rule layer may then only tighten (no `disable` of yours counts)'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "disable" -d 'Switch rules off. With a passphrase set, a human types it and each entry is sealed with its key; a `disable:` written by hand is then ignored (docs/threat-model.md)'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "lint" -d 'Check rule files: syntax, unknown keys, regexes, duplicate ids, examples, dead rules'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "hook" -d 'Agents\' pre-command hooks: `guard hook AGENT` judges a hook input (JSON on stdin) and answers in the agent\'s protocol; `guard hook install AGENT` puts it into the agent\'s settings'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "schema" -d 'Print the JSON Schema of the rule format (docs/guard-rules.schema.json)'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "completions" -d 'Print shell completions: guard completions bash > /etc/bash_completion.d/guard'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "man" -d 'Print the man page (roff): guard man | man -l -'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "rules" -d 'List the rules in effect, with the file each comes from'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from install uninstall env explain allow log passphrase run doctor lock disable lint hook schema completions man rules help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "install" -d 'Merge guard\'s hook into AGENT\'s settings (a backup is kept; nothing else changes)'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "uninstall" -d 'Take guard\'s hook out of AGENT\'s settings (needs the passphrase, if one is set)'
