#!/usr/bin/env bash
# package_deb: `cpack -G DEB` from BUILD into a temporary folder, then checks
# the package with dpkg-deb: the files (prefix /usr, the config in /etc, the
# tables without lock.mdb), the unit's paths, the conffile, the maintainer
# scripts, and Depends (the shared libraries the binaries link). Exit 77
# (skipped) without cpack or dpkg-deb.
#   deb.sh BUILD VERSION JEMALLOC(ON|OFF) BINARIES...
set -u
build="$1" version="$2" jemalloc="$3"
shift 3
bins=("$@")
for tool in cpack dpkg-deb dpkg; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed (cmake and dpkg provide it)"
        exit 77
    fi
done
tmp="$(mktemp -d "${TMPDIR:-/tmp}/claimd-deb.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

if ! (cd "$build" && cpack -G DEB -B "$tmp" --config "$build/CPackConfig.cmake") >"$tmp/log" 2>&1; then
    cat "$tmp/log"
    for f in "$tmp"/_CPack_Packages/*/DEB/*.log; do [ -f "$f" ] && tail -n 30 "$f"; done
    echo "FAIL: cpack -G DEB"
    exit 1
fi
arch="$(dpkg --print-architecture)"
deb="$tmp/claimd_${version}_${arch}.deb"
if [ ! -f "$deb" ]; then
    ls "$tmp"
    echo "FAIL: no $(basename "$deb")"
    exit 1
fi
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

dpkg-deb -I "$deb" >"$tmp/info" || bad "dpkg-deb -I failed"
dpkg-deb -c "$deb" >"$tmp/list" || bad "dpkg-deb -c failed"
sed -n 's/^ Depends: //p' "$tmp/info" | tee "$tmp/depends"
libs=(liblmdb0 liburing2 libxxhash0 libc6)
[ "$jemalloc" = ON ] && libs+=(libjemalloc2)
for lib in "${libs[@]}"; do
    grep -qE "(^|, )$lib( |,|$)" "$tmp/depends" || bad "Depends lacks $lib"
done
grep -q '^ Package: claimd$' "$tmp/info" || bad "Package is not claimd"
grep -q "^ Version: $version\$" "$tmp/info" || bad "Version is not $version"
grep -q "^ Architecture: $arch\$" "$tmp/info" || bad "Architecture is not $arch"

# files (dpkg-deb -c prints ./path as the last field)
awk '{print $NF}' "$tmp/list" | sed 's|^\./||' >"$tmp/paths"
expect=(etc/claimd/claimd.conf
        usr/lib/systemd/system/claimd.service
        usr/lib/systemd/system/claimd.socket
        usr/lib/tmpfiles.d/claimd.conf
        usr/lib/sysusers.d/claimd.conf
        usr/share/claimd/tables/default/data.mdb
        usr/share/doc/claimd/systemd.md
        usr/share/doc/claimd/config.md)
for b in "${bins[@]}"; do expect+=("usr/bin/$b"); done
for f in "${expect[@]}"; do
    grep -qx "$f" "$tmp/paths" || bad "the package lacks /$f"
done
grep -q 'lock\.mdb' "$tmp/paths" && bad "the package holds a lock.mdb"
grep -qE '_CPack_Packages|^usr/local/' "$tmp/paths" && bad "staging or /usr/local paths in the package"
for b in "${bins[@]}"; do
    grep -E " \./usr/bin/$b\$" "$tmp/list" | grep -q '^-rwxr-xr-x root/root' ||
        bad "/usr/bin/$b is not -rwxr-xr-x root/root"
done

# the unit's paths are those of the prefix /usr
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/lib/systemd/system/claimd.service >"$tmp/unit" ||
    bad "cannot extract claimd.service"
grep -qx 'ExecStart=/usr/bin/claimd --config /etc/claimd/claimd.conf' "$tmp/unit" ||
    bad "claimd.service in the package: $(grep ExecStart= "$tmp/unit")"

# control: conffiles and maintainer scripts
mkdir "$tmp/ctl"
dpkg-deb -e "$deb" "$tmp/ctl" || bad "dpkg-deb -e failed"
[ "$(cat "$tmp/ctl/conffiles" 2>/dev/null)" = /etc/claimd/claimd.conf ] ||
    bad "conffiles is not exactly /etc/claimd/claimd.conf: $(cat "$tmp/ctl/conffiles" 2>/dev/null)"
for s in postinst prerm postrm; do
    if [ ! -x "$tmp/ctl/$s" ]; then
        bad "no executable $s"
    elif ! sh -n "$tmp/ctl/$s"; then
        bad "$s: sh -n fails"
    fi
done
grep -q 'systemd-sysusers' "$tmp/ctl/postinst" || bad "postinst runs no systemd-sysusers"
grep -q 'systemd-tmpfiles.*--create' "$tmp/ctl/postinst" || bad "postinst runs no systemd-tmpfiles --create"
grep -q 'daemon-reload' "$tmp/ctl/postinst" || bad "postinst runs no daemon-reload"
grep -qE 'systemctl (--[a-z-]+ )*(start|enable)' "$tmp/ctl/postinst" && bad "postinst starts or enables a unit"

[ "$fail" -eq 0 ] && echo "ok: $(basename "$deb"): files, unit paths, conffile, scripts and Depends"
exit "$fail"
