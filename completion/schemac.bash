# bash completion for schemac(1). Installed by `make install` as
# $(BASHCOMPDIR)/schemac; source it by hand to try it: `. completion/schemac.bash`.
#
# Completes the verbs, the migrate sub-verbs, each one's options (the ones
# `schemac VERB --help` / `schemac migrate SUBVERB --help` print:
# tests/generator/test_docs.c fails when they part), files and directories for
# --schema, --out, --templates and --dir, the formats of erd --format, and
# revisions for migrate up, down --to, stamp and sql: the NNNN of the
# NNNN_slug.sql files of --dir, else of --out/migrations, else of
# generated/migrations (and NNNN_slug names for migrate rebase).
# Needs no bash-completion package; plain bash 4 or later.

# The migrations directory the command line names (--dir, --out/migrations).
_schemac_migrations_dir()
{
    local i dir="" out="generated"
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        [[ $i -eq $COMP_CWORD ]] && continue
        case ${COMP_WORDS[i]} in
            --dir) dir=${COMP_WORDS[i + 1]} ;;
            --out) out=${COMP_WORDS[i + 1]} ;;
        esac
    done
    printf '%s\n' "${dir:-$out/migrations}"
}

# The migrations of that directory: NNNN_slug (with $1 = names) or NNNN.
_schemac_revisions()
{
    local dir f base
    dir=$(_schemac_migrations_dir)
    for f in "$dir"/[0-9][0-9][0-9][0-9]_*.sql; do
        [[ -f $f ]] || continue
        base=${f##*/}
        base=${base%.sql}
        if [[ $1 == names ]]; then
            printf '%s\n' "$base"
        else
            printf '%s\n' "${base%%_*}"
        fi
    done
}

# COMPREPLY from the words of $1 that start with $2.
_schemac_words()
{
    local IFS=$' \t\n'
    COMPREPLY=($(compgen -W "$1" -- "$2"))
}

_schemac_files()
{
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    if [[ $1 == dirs ]]; then
        COMPREPLY=($(compgen -d -- "$2"))
    else
        COMPREPLY=($(compgen -f -- "$2"))
    fi
}

# Directories and *.yaml / *.yml files.
_schemac_schemas()
{
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -d -- "$1") $(compgen -f -X '!*.yaml' -- "$1")
        $(compgen -f -X '!*.yml' -- "$1"))
}

_schemac()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev="" verb="" sub=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()

    local verbs="generate check-schema vet migrate import erd init"
    local subverbs="new rebase up down current history stamp sql check drift"
    local gen_opts="--schema --out --templates --help"

    # As schemac reads them: the verb is the first argument, a migrate
    # sub-verb the second.
    ((COMP_CWORD > 1)) && verb=${COMP_WORDS[1]}
    [[ $verb == migrate ]] && ((COMP_CWORD > 2)) && sub=${COMP_WORDS[2]}

    if [[ -z $verb ]]; then
        _schemac_words "$verbs --help --version" "$cur"
        return 0
    fi
    if [[ $verb == migrate && -z $sub ]]; then
        _schemac_words "$subverbs --help" "$cur"
        return 0
    fi

    # The value of an option.
    case $prev in
        --schema)
            _schemac_schemas "$cur"
            return 0 ;;
        --out)
            if [[ $verb == erd || $verb == import ]]; then
                _schemac_files files "$cur"
            else
                _schemac_files dirs "$cur"
            fi
            return 0 ;;
        --templates | --dir)
            _schemac_files dirs "$cur"
            return 0 ;;
        --format)
            [[ $verb == erd ]] && _schemac_words "dot svg mermaid" "$cur"
            return 0 ;;
        --to)
            _schemac_words "$(_schemac_revisions) base" "$cur"
            return 0 ;;
        -m | --message | --lock-timeout | --statement-timeout | --scratch-url | --database | --prefix)
            return 0 ;;
    esac

    local opts=""
    case $verb in
        generate | check-schema | vet) opts=$gen_opts ;;
        erd) opts="--schema --format --out --help" ;;
        init) opts="--help" ;;
        import) opts="--database --schema --prefix --out --help" ;;
        migrate)
            case $sub in
                new) opts="--schema --out --dir -m --message --allow-destructive --lock-timeout --statement-timeout --help" ;;
                rebase) opts="--schema --out --dir --allow-destructive --help" ;;
                up) opts="--out --dir --quiet --verbose --help" ;;
                current | history | stamp | sql) opts="--out --dir --help" ;;
                down) opts="--out --dir --to --quiet --verbose --help" ;;
                check) opts="--schema --out --dir --help" ;;
                drift) opts="--out --dir --scratch-url --help" ;;
            esac ;;
    esac
    if [[ $cur == -* ]]; then
        _schemac_words "$opts" "$cur"
        return 0
    fi

    # Positional arguments.
    case $verb in
        check-schema | erd)
            _schemac_schemas "$cur"
            ;;
        init)
            _schemac_files dirs "$cur"
            ;;
        migrate)
            case $sub in
                up) _schemac_words "$(_schemac_revisions) head" "$cur" ;;
                stamp) _schemac_words "$(_schemac_revisions) head base none" "$cur" ;;
                rebase) _schemac_words "$(_schemac_revisions names)" "$cur" ;;
                sql)
                    # A:B: with ':' in COMP_WORDBREAKS (the default) the ':' is a word
                    # of its own; without it, complete the part after the colon.
                    local pre=""
                    if [[ $cur == *:* ]]; then
                        pre=${cur%%:*}:
                        cur=${cur#*:}
                    fi
                    _schemac_words "$(_schemac_revisions) head base" "$cur"
                    ((${#pre})) && COMPREPLY=("${COMPREPLY[@]/#/$pre}")
                    ;;
            esac ;;
    esac
    return 0
}

complete -F _schemac schemac
