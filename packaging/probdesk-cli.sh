#!/bin/sh
# probdesk-cli: probdesk's command line, under the same name as on Windows (where probdesk.exe is
# a windowed program and probdesk-cli.exe the console one). On Linux and macOS probdesk is itself
# a console program, so this runs it, from the folder this script is in (following symlinks, so
# that ~/.local/bin/probdesk-cli -> <bundle>/probdesk-cli works).
self=$0
while [ -h "$self" ]; do
    link=$(readlink -- "$self")
    case $link in
        /*) self=$link ;;
        *) self=$(dirname -- "$self")/$link ;;
    esac
done
here=$(CDPATH='' cd -P -- "$(dirname -- "$self")" && pwd -P) || exit 1
exec "$here/probdesk" "$@"
