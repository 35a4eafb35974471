#!/usr/bin/env bash
# images, create (service user): pulls the images that are not present yet, before any unit uses
# them: a changed image is on the host before its container stops, a failed pull fails here with
# the old container still serving, and a unit's start timeout never includes a pull. One podman
# call answers whether all are present (the re-run's case). The missing ones are pulled by one
# `podman pull` (podman 3.3 and later take several images and go on past one that fails:
# containers/podman cmd/podman/images/pull.go), which fetches each image's layers at once (up to
# six: containers/image copy's default, engine.image_parallel_copies in containers.conf) and a
# layer two images share only once. Four pulls side by side fetch and unpack a shared layer once
# each; measured on the lab's two-core VM, four images took 80 s that way and 53 s in one call.
# An image still missing afterwards is tried again, at most three tries in all; the last try pulls
# each one on its own, so that podman's words about it are its own (podman names a docker.io image
# in its short form, "docker://caddy:TAG", seen on the lab VM, not as the settings give it).
# Inputs: images (array: the four image references of the settings).
: "${images[0]:?}"
if podman image inspect --format '{{.Id}}' "${images[@]}" >/dev/null 2>&1; then
  echo "ztnet-infra: ${images[*]} present"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# missing: the images of the settings not in the store yet, one `image exists` each.
find_missing() {
  local image
  missing=()
  for image in "${images[@]}"; do
    if ! podman image exists "$image"; then missing+=("$image"); fi
  done
}
failed=()
find_missing
for image in "${images[@]}"; do
  if [[ " ${missing[*]} " != *" $image "* ]]; then echo "ztnet-infra: $image present"; fi
done
for try in 1 2 3; do
  wanted=("${missing[@]}")
  if [ "$try" -lt 3 ]; then
    # podman pull exits 0 only when every image arrived (pull.go: any error is returned at the end).
    if podman pull --quiet "${wanted[@]}" >/dev/null 2>"$work/err"; then missing=(); else find_missing; fi
  else
    missing=()
    for i in "${!wanted[@]}"; do
      if ! podman pull --quiet "${wanted[$i]}" >/dev/null 2>"$work/err.$i"; then missing+=("${wanted[$i]}"); failed[i]=1; fi
    done
  fi
  for image in "${wanted[@]}"; do
    if [[ " ${missing[*]} " != *" $image "* ]]; then echo "ztnet-infra: pulled $image"; fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi
  if [ "$try" -lt 3 ]; then sleep $((try * 10)); fi
done
for i in "${!failed[@]}"; do
  echo "ztnet-infra: cannot pull ${wanted[$i]} (3 tries): $(tail -n 2 "$work/err.$i" | tr '\n' ' ')" >&2
done
echo "ztnet-infra: the running containers are untouched. Check the image name and the host's access to its registry." >&2
exit 1
