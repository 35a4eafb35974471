#!/usr/bin/env bash
# images, create (service user): pulls the images that are not present yet, before any unit uses
# them: a changed image is on the host before its container stops, a failed pull fails here with
# the old container still serving, and a unit's start timeout never includes a pull. One podman
# call answers whether all are present (the re-run's case); the missing ones are pulled at once,
# at most max_pulls at a time, each tried three times.
# Inputs: images (array: the four image references of the settings), max_pulls (pulls at once).
: "${images[0]:?}" "${max_pulls:?}"
if podman image inspect --format '{{.Id}}' "${images[@]}" >/dev/null 2>&1; then
  echo "ztnet-infra: ${images[*]} present"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# pull N IMAGE: three tries; the outcome in $work/N.rc, podman's last words in $work/N.err.
pull() {
  local try rc=1
  for try in 1 2 3; do
    if podman pull --quiet "$2" >/dev/null 2>"$work/$1.err"; then rc=0; break; fi
    if [ "$try" -lt 3 ]; then sleep $((try * 10)); fi
  done
  echo "$rc" > "$work/$1.rc"
}
missing=()
for image in "${images[@]}"; do
  if podman image exists "$image"; then echo "ztnet-infra: $image present"; else missing+=("$image"); fi
done
for i in "${!missing[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$max_pulls" ]; do wait -n || true; done
  pull "$i" "${missing[$i]}" &
done
wait
failed=0
for i in "${!missing[@]}"; do
  if [ "$(cat "$work/$i.rc" 2>/dev/null)" = 0 ]; then
    echo "ztnet-infra: pulled ${missing[$i]}"
  else
    failed=1
    echo "ztnet-infra: cannot pull ${missing[$i]} (3 tries): $(tail -n 3 "$work/$i.err" 2>/dev/null | tr '\n' ' ')" >&2
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "ztnet-infra: the running containers are untouched. Check the image name and the host's access to its registry." >&2
  exit 1
fi
