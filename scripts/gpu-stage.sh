#!/usr/bin/env bash
# Splits what a lent GPU machine needs into carries that each fit beside the tree: a device call
# takes the working tree and its carried paths, 64 MiB in all, and the tree alone is about 50 MB
# (2026-12-06; docs/design.md, Running on a lent GPU machine). Paths carried by an earlier call
# stay on the machine while it is warm (about 30 s idle), so the parts go in calls one after
# another:
#
#   bash scripts/gpu-stage.sh restore; bash ../shared/gpu/pack.sh; bash scripts/gpu-stage.sh node
#       restore puts earlier packs from .gpu-node/ back (pack.sh rebuilds a missing one: Node 30 s,
#       node_modules 2 min); node moves .gpu/node.tar.xz (Node and npm, 26 MB) and
#       .gpu/node_modules.tar.xz (15 MB) to .gpu-node/, cuts each into two parts (.gpu-node1,
#       .gpu-node2; .gpu-nm1, .gpu-nm2) and makes .gpu/remote.sh unpack both from /opt/gpu-stage/;
#       calls 1-4: carry [".gpu-node1"], [".gpu-node2"], [".gpu-nm1"], [".gpu-nm2"], command:
#               bash .gpu-node1/stage.sh (and so on)
#       then:   carry [".gpu"] (0.4 MB), command: bash .gpu/remote.sh <the runs>
#   bash ../shared/gpu/pack-chromium.sh && bash scripts/gpu-stage.sh chromium
#       re-cuts its parts into parts that fit beside the tree (part_mib below: .chr1 … .chrN);
#       calls:  carry [".chrN"],     command: bash .chrN/stage.sh   (the last unpacks to /opt/chr;
#       a font and /opt/fonts/fonts.conf come with it: FONTCONFIG_FILE=/opt/fonts/fonts.conf)
#   bash scripts/gpu-stage.sh firefox   Debian's firefox-esr and its libraries in parts that fit
#       calls:  carry [".ffN"],      command: bash .ffN/stage.sh    (the last unpacks to /opt/ff)
#       then LAUNCHBENCH_FIREFOX=/opt/ff/firefox-esr LD_LIBRARY_PATH=/opt/ff/lib
#       FONTCONFIG_FILE=/opt/fonts/fonts.conf (run so on an H100, 2026-12-05)
#   bash scripts/gpu-stage.sh deno      Deno (scripts/pack-deno.sh) in parts that fit (part_mib)
#       calls:  carry [".gpu-denoN"],  command: bash .gpu-denoN/stage.sh (the last unpacks it)
#       then LAUNCHBENCH_DENO=/opt/deno/deno (the whole .gpu-deno, 30 MB, no longer fits beside
#       the tree: 38 MB on 2026-12-05)
#   bash scripts/gpu-stage.sh sizes     the tree and each carry, in MB, against the 64 MiB
#   bash scripts/gpu-stage.sh results-out   before all of the above: results/ (the published
#       runs and its README) leaves git's index, not the disk, and stops travelling; the tree
#       goes from 50 to 2.3 MB and the parts are cut to match: the whole .gpu (Node and
#       node_modules, 42 MB) goes in the call that runs (no `node` step), Chromium in two parts,
#       Deno in one. A run that needs a published file copies it into the tree first; tests read
#       published runs, so npm test runs with results in. pack.sh marks the commit +dirty while
#       results are out. A pre-commit hook refuses commits (they would delete every run) until
#   bash scripts/gpu-stage.sh results-in    puts the index back as HEAD has it; new runs are
#       copied into results/ and `git add -f`-ed after it
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p .git/info
exclude() { grep -qsx "/$1/" .git/info/exclude || echo "/$1/" >> .git/info/exclude; }
# what one device call takes, tree and carried paths together: 64 MiB
LIMIT_MB=67.1
mb() { du -sb "$@" 2>/dev/null | awk '{s += $1} END {printf "%.1f", s / 1e6}'; }
# A font and a fontconfig file naming it, for a machine with neither (the lent GPU machines):
# without them Chromium's page crashes in Skia's font code. Copied into the last part DIR; its
# stage.sh installs them at /opt/fonts (then FONTCONFIG_FILE=/opt/fonts/fonts.conf).
fonts_into() {
  local font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
  [ -f "$font" ] || { echo "gpu-stage.sh: no $font here (apt-get install fonts-dejavu-core)" >&2; exit 1; }
  cp "$font" "$1/"
  printf '<?xml version="1.0"?>\n<fontconfig><dir>/opt/fonts</dir><cachedir>/tmp/fontconfig</cachedir></fontconfig>\n' >"$1/fonts.conf"
}
# tracked files and untracked ones git does not ignore: what travels with every call
tree_mb() { git ls-files -z -co --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {printf "%.1f", s / 1e6}' || true; }
# The size of a part, in MiB, that travels beside the tree as it is now with 3 MB to spare: the
# tree grows with each published run (40 MB on 2026-12-05, 45 on 2026-12-06, when a part of 20 MiB
# left 1.4 MB), so parts are cut to what it leaves; under 4 MiB it stops.
part_mib() {
  local p
  p=$(awk -v t="$(tree_mb)" -v l="$LIMIT_MB" 'BEGIN { print int((l - t - 3) / 1.048576) }')
  [ "$p" -ge 4 ] || { echo "gpu-stage.sh: the tree ($(tree_mb) MB) leaves no room for a part of 4 MiB beside it in a call ($LIMIT_MB MB)" >&2; exit 1; }
  echo "$p"
}

MARK=$(git rev-parse --git-path launchbench-results-out)
HOOK=$(git rev-parse --git-path hooks)/pre-commit
HOOK_TEXT='pre-commit: results/ is out of the index for a device session (scripts/gpu-stage.sh results-in first)'
case "${1:-}" in
  results-out)
    # The published runs (48 MB of the 50 MB tree on 2026-12-06) leave git's index, not the disk:
    # results/ is git-ignored, so they no longer travel, and the whole .gpu (Node and
    # node_modules, 42 MB) fits one call beside the tree. Only from a clean results/ and the
    # commit results-in will check (the marker holds it); a commit meanwhile is refused by a
    # pre-commit hook, since it would delete every run (git commit --no-verify would not be).
    [ -f "$MARK" ] && { echo "gpu-stage.sh: results are out already (results-in puts them back)" >&2; exit 1; }
    [ -z "$(git diff --cached --name-only --diff-filter=D -- results)" ] ||
      { echo "gpu-stage.sh: results/ is out of the index already, with no marker: put it back with git reset -q HEAD -- results, and do not commit before" >&2; exit 1; }
    [ -z "$(git status --porcelain -- results)" ] ||
      { echo "gpu-stage.sh: results/ has changes not committed; commit them first" >&2; exit 1; }
    [ -e "$HOOK" ] && { echo "gpu-stage.sh: $HOOK exists; not replacing it" >&2; exit 1; }
    git rm -r -q --cached results
    mkdir -p "$(dirname "$HOOK")"
    printf '#!/bin/sh\necho "%s" >&2\nexit 1\n' "$HOOK_TEXT" > "$HOOK"
    chmod +x "$HOOK"
    git rev-parse HEAD > "$MARK"
    echo "gpu-stage.sh: results/ out of the index (the tree: $(tree_mb) MB); put it back with results-in before committing" >&2
    ;;
  results-in)
    [ -f "$MARK" ] || { echo "gpu-stage.sh: results are not out" >&2; exit 1; }
    # HEAD moved (a commit made despite the hook) would take the runs' deletion as the truth
    [ "$(git rev-parse HEAD)" = "$(cat "$MARK")" ] ||
      { echo "gpu-stage.sh: HEAD is not the commit results-out left ($(cat "$MARK")): check that it kept results/ (git show --stat HEAD) before anything else; nothing changed" >&2; exit 1; }
    # only the paths HEAD has: a folder staged with git add -f meanwhile stays staged
    git ls-tree -r -z --name-only HEAD -- results | git reset -q --pathspec-from-file=- --pathspec-file-nul
    if grep -qF "$HOOK_TEXT" "$HOOK" 2>/dev/null; then rm -f "$HOOK"; fi
    rm -f "$MARK"
    [ -z "$(git diff --cached --name-only --diff-filter=D -- results)" ] ||
      { echo "gpu-stage.sh: files of results/ still deleted in the index after results-in" >&2; exit 1; }
    echo "gpu-stage.sh: results/ back in the index (the tree: $(tree_mb) MB)" >&2
    ;;
  node)
    [ -f .gpu/remote.sh ] || { echo "gpu-stage.sh: no .gpu/remote.sh: run ../shared/gpu/pack.sh first" >&2; exit 1; }
    exclude .gpu-node
    mkdir -p .gpu-node
    # pack.sh rebuilds a missing pack: a copy left in .gpu would travel with every run.
    # .gpu-node keeps the whole packs (restore puts them back); what travels is two parts of each:
    # Node (26 MB) in .gpu-node1, .gpu-node2 and node_modules (15 MB) in .gpu-nm1, .gpu-nm2.
    # The tree (50 MB on 2026-12-06) with node_modules beside it in every run was refused as over
    # the 64 MiB a call takes, though the files' bytes came to 65.6 MB of its 67.1.
    for f in node.tar.xz node_modules.tar.xz; do
      if [ -s ".gpu/$f" ]; then mv ".gpu/$f" ".gpu-node/$f"; fi
      [ -s ".gpu-node/$f" ] || { echo "gpu-stage.sh: no $f in .gpu or .gpu-node" >&2; exit 1; }
    done
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    rm -rf .gpu-node1 .gpu-node2 .gpu-nm1 .gpu-nm2 .gpu-node/stage.sh
    # cut_in_two PACK PREFIX WHAT: PACK's halves in PREFIX1, PREFIX2, each with a stage.sh that
    # copies it to /opt/parts/<checksum> and, once both are there, joins them as
    # /opt/gpu-stage/PACK (where the patched .gpu/remote.sh unpacks it from)
    cut_in_two() {
      local pack=$1 prefix=$2 what=$3 n sum
      sum=$(sha256sum ".gpu-node/$pack" | cut -c1-16)
      split -n 2 -d ".gpu-node/$pack" "$tmp/$prefix."
      for n in 1 2; do
        exclude "$prefix$n"
        mkdir "$prefix$n"
        mv "$tmp/$prefix.0$((n - 1))" "$prefix$n/part.0$((n - 1))"
        cat > "$prefix$n/stage.sh" <<S
#!/usr/bin/env bash
# copies this part to /opt/parts/$sum; once both are there, joins them as /opt/gpu-stage/$pack
# ($what), where .gpu/remote.sh (as gpu-stage.sh patched it) unpacks it from
set -e
here=\$(dirname "\$0")
mkdir -p /opt/parts/$sum && cp "\$here"/part.0* /opt/parts/$sum/
if [ "\$(ls /opt/parts/$sum | wc -l)" -eq 2 ]; then
  mkdir -p /opt/gpu-stage
  cat /opt/parts/$sum/part.00 /opt/parts/$sum/part.01 > /opt/gpu-stage/$pack.tmp
  [ "\$(sha256sum /opt/gpu-stage/$pack.tmp | cut -c1-16)" = $sum ] || { echo "stage.sh: the parts do not make $pack" >&2; exit 1; }
  mv /opt/gpu-stage/$pack.tmp /opt/gpu-stage/$pack && echo "$what staged"
else
  echo "part staged: \$(ls /opt/parts/$sum | tr '\n' ' ')"
fi
S
      done
    }
    cut_in_two node.tar.xz .gpu-node node
    cut_in_two node_modules.tar.xz .gpu-nm node_modules
    sed -i 's|^tar -C / -xJf "$here/node.tar.xz"$|[ -x /usr/bin/node ] \|\| tar -C / -xJf "${NODE_TAR:-/opt/gpu-stage/node.tar.xz}" \|\| { echo "remote.sh: no Node here: stage it first (carry .gpu-node1, then .gpu-node2: bash .gpu-nodeN/stage.sh)" >\&2; exit 1; }|' .gpu/remote.sh
    sed -i 's|^\[ -d node_modules \] \|\| tar -xJf "$here/node_modules.tar.xz"$|[ -d node_modules ] \|\| tar -xJf /opt/gpu-stage/node_modules.tar.xz \|\| { echo "remote.sh: no node_modules here: stage them first (carry .gpu-nm1, then .gpu-nm2: bash .gpu-nmN/stage.sh)" >\&2; exit 1; }|' .gpu/remote.sh
    grep -q 'gpu-stage/node.tar.xz' .gpu/remote.sh && grep -q 'gpu-stage/node_modules.tar.xz' .gpu/remote.sh ||
      { echo "gpu-stage.sh: .gpu/remote.sh does not unpack Node and node_modules as expected; not patched" >&2; exit 1; }
    ;;
  restore)
    for f in node.tar.xz node_modules.tar.xz; do
      if [ -s ".gpu-node/$f" ] && [ -d .gpu ] && [ ! -s ".gpu/$f" ]; then cp -p ".gpu-node/$f" .gpu/; fi
    done
    ;;
  chromium)
    # the parts this already cut (.chr1/cut names how many), or else pack-chromium.sh's two,
    # which leaves the folders after .chr2 as they were
    if [ -f .chr1/cut ]; then dirs=$(seq -f '.chr%g' 1 "$(cat .chr1/cut)"); else dirs=".chr1 .chr2"; fi
    # shellcheck disable=SC2086
    parts=$(for d in $dirs; do ls "$d"/part.* 2>/dev/null; done)
    [ -n "$parts" ] || { echo "gpu-stage.sh: expected the parts of ../shared/gpu/pack-chromium.sh in .chr1 …; found none" >&2; exit 1; }
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    # shellcheck disable=SC2086
    cat $parts > "$tmp/chr.tar.xz"
    xz -t "$tmp/chr.tar.xz" || { echo "gpu-stage.sh: the parts do not make a whole archive; run ../shared/gpu/pack-chromium.sh again" >&2; exit 1; }
    split -b "$(part_mib)M" -d "$tmp/chr.tar.xz" "$tmp/part."
    count=$(ls "$tmp"/part.* | wc -l)
    sum=$(sha256sum "$tmp/chr.tar.xz" | cut -c1-16)
    rm -rf .chr[0-9]*
    n=0
    for part in "$tmp"/part.*; do
      n=$((n + 1))
      exclude ".chr$n"
      mkdir ".chr$n"
      mv "$part" ".chr$n/"
      cat > ".chr$n/stage.sh" <<S
#!/usr/bin/env bash
# copies this part to /opt/chrparts/$sum; once all $count are there, unpacks Chromium to /opt/chr
# (through a folder of its own, so an archive cut short leaves no /opt/chr behind)
set -e
here=\$(dirname "\$0")
[ -f "\$here/fonts.conf" ] && mkdir -p /opt/fonts && cp "\$here/DejaVuSans.ttf" "\$here/fonts.conf" /opt/fonts/
if [ "\$(cat /opt/chr/.sum 2>/dev/null)" = $sum ]; then echo "chromium already at /opt/chr"; exit 0; fi
mkdir -p /opt/chrparts/$sum && cp "\$here"/part.* /opt/chrparts/$sum/
if [ "\$(ls /opt/chrparts/$sum | wc -l)" -eq $count ]; then
  rm -rf /opt/chr /opt/chr.unpack && mkdir /opt/chr.unpack
  cat /opt/chrparts/$sum/part.* | xz -dc | tar -C /opt/chr.unpack -xf -
  mv /opt/chr.unpack/opt/chr /opt/chr && rm -rf /opt/chr.unpack && echo $sum > /opt/chr/.sum
  echo "chromium unpacked to /opt/chr (LD_LIBRARY_PATH=/opt/chr/lib FONTCONFIG_FILE=/opt/fonts/fonts.conf)"
else
  echo "part staged: \$(ls /opt/chrparts/$sum | tr '\n' ' ')"
fi
S
    done
    echo "$count" > .chr1/cut
    fonts_into ".chr$count"
    echo "gpu-stage.sh: Chromium in $count parts, .chr1 … .chr$count" >&2
    ;;
  deno)
    # pack-deno.sh's deno.xz (30 MB) in parts that fit beside the tree (part_mib): the tree has
    # grown past what fits beside the whole pack (2026-12-05: 38 MB and 30 MB against 64 MiB)
    bash scripts/pack-deno.sh
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    mib=$(part_mib)
    split -b "${mib}M" -d .gpu-deno/deno.xz "$tmp/part."
    count=$(ls "$tmp"/part.* | wc -l)
    # the pack's checksum: parts of two packs are never joined, and a new pack is unpacked
    sum=$(sha256sum .gpu-deno/deno.xz | cut -c1-16)
    rm -rf .gpu-deno[0-9]*
    n=0
    for part in "$tmp"/part.*; do
      n=$((n + 1))
      exclude ".gpu-deno$n"
      mkdir ".gpu-deno$n"
      mv "$part" ".gpu-deno$n/"
      cat > ".gpu-deno$n/stage.sh" <<S
#!/usr/bin/env bash
# copies this part to /opt/denoparts/$sum; once all $count are there, unpacks Deno to
# /opt/deno/deno (again where another pack was unpacked there before)
set -e
here=\$(dirname "\$0")
mkdir -p /opt/denoparts/$sum && cp "\$here"/part.* /opt/denoparts/$sum/
if [ "\$(ls /opt/denoparts/$sum | wc -l)" -eq $count ] && [ "\$(cat /opt/deno/sum 2>/dev/null)" != $sum ]; then
  mkdir -p /opt/deno
  cat /opt/denoparts/$sum/part.* > /opt/deno/deno.xz
  [ "\$(sha256sum /opt/deno/deno.xz | cut -c1-16)" = $sum ] || { echo "stage.sh: the parts do not make the pack" >&2; exit 1; }
  xz -dc /opt/deno/deno.xz > /opt/deno/deno.tmp || { rm -f /opt/deno/deno.tmp; echo "stage.sh: xz failed" >&2; exit 1; }
  rm /opt/deno/deno.xz
  chmod +x /opt/deno/deno.tmp && mv /opt/deno/deno.tmp /opt/deno/deno && echo $sum > /opt/deno/sum
  echo "deno unpacked: \$(/opt/deno/deno --version | head -n 1) (LAUNCHBENCH_DENO=/opt/deno/deno)"
else
  echo "part staged: \$(ls /opt/denoparts/$sum | tr '\n' ' ')"
fi
S
    done
    echo "gpu-stage.sh: Deno in $count parts of at most $mib MiB, .gpu-deno1 … .gpu-deno$count" >&2
    ;;
  firefox)
    # Debian's firefox-esr (scripts/install-firefox.sh) and the libraries it links that a bare
    # machine may lack, with the Vulkan loader its WebGPU opens, cut into parts that fit (part_mib).
    app=/usr/lib/firefox-esr
    [ -x "$app/firefox-esr" ] || { echo "gpu-stage.sh: no $app/firefox-esr: sudo bash scripts/install-firefox.sh first" >&2; exit 1; }
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/root/opt/ff/lib"
    # -L: the app folder links its defaults and preferences into /usr/share, absent there
    cp -aL "$app/." "$tmp/root/opt/ff/"
    for f in "$app/firefox-esr" "$app"/*.so; do LD_LIBRARY_PATH="$app" ldd "$f" 2>/dev/null; done |
      awk '/=>/ && $3 ~ /^\// {print $3}' | grep -v "^$app/" |
      grep -v -E '/(libc|libm|libgcc_s|libstdc\+\+|libdl|libpthread|librt)\.so|ld-linux' | sort -u |
      xargs -r -I{} cp -L {} "$tmp/root/opt/ff/lib/"
    cp -L "$(ldconfig -p | awk '/libvulkan\.so\.1 / {print $NF; exit}')" "$tmp/root/opt/ff/lib/"
    echo "gpu-stage.sh: compressing Firefox (a few minutes)" >&2
    tar -C "$tmp/root" -cf - opt | xz -T0 -6 >"$tmp/ff.tar.xz"
    split -b "$(part_mib)M" -d "$tmp/ff.tar.xz" "$tmp/part."
    count=$(ls "$tmp"/part.* | wc -l)
    rm -rf .ff[0-9]*
    n=0
    for part in "$tmp"/part.*; do
      n=$((n + 1))
      exclude ".ff$n"
      mkdir ".ff$n"
      mv "$part" ".ff$n/"
      cat >".ff$n/stage.sh" <<S
#!/usr/bin/env bash
# copies this part to /opt/ffparts; once all $count are there, unpacks Firefox to /opt/ff
set -e
if [ -x /opt/ff/firefox-esr ]; then echo "firefox already at /opt/ff"; exit 0; fi
here=\$(dirname "\$0")
[ -f "\$here/fonts.conf" ] && mkdir -p /opt/fonts && cp "\$here/DejaVuSans.ttf" "\$here/fonts.conf" /opt/fonts/
mkdir -p /opt/ffparts && cp "\$here"/part.* /opt/ffparts/
if [ "\$(ls /opt/ffparts | wc -l)" -eq $count ]; then
  cat /opt/ffparts/part.* | xz -dc | tar -C / -xf -
  rm -rf /opt/ffparts
  echo "firefox unpacked: LAUNCHBENCH_FIREFOX=/opt/ff/firefox-esr LD_LIBRARY_PATH=/opt/ff/lib FONTCONFIG_FILE=/opt/fonts/fonts.conf"
else
  echo "part staged: \$(ls /opt/ffparts | tr '\n' ' ')"
fi
S
    done
    fonts_into ".ff$count"
    echo "gpu-stage.sh: Firefox in $count parts, .ff1 … .ff$count" >&2
    ;;
  sizes)
    t=$(tree_mb)
    echo "tree: $t MB (tracked files and untracked ones that git does not ignore)"
    for d in .gpu .gpu-node1 .gpu-node2 .gpu-nm1 .gpu-nm2 .gpu-deno .gpu-deno[0-9]* .chr[0-9]* .ff[0-9]*; do
      [ -e "$d" ] || continue
      c=$(mb "$d")
      awk -v t="$t" -v c="$c" -v d="$d" -v l="$LIMIT_MB" 'BEGIN { s = t + c; printf "%-10s %6.1f MB, with the tree %6.1f MB of %s %s\n", d, c, s, l, (s > l ? "(too big)" : "") }'
    done
    ;;
  *)
    sed -n '2,/^set -euo/p' scripts/gpu-stage.sh | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
