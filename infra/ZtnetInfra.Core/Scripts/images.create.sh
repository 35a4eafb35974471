#!/usr/bin/env bash
# images, create (service user): pulls the images that are not present yet, before any unit uses
# them: a changed image is on the host before its container stops, a failed pull fails here with
# the old container still serving, and a unit's start timeout never includes a pull.
# Inputs: images (array: the four image references of the settings).
: "${images[0]:?}"
for image in "${images[@]}"; do
  if podman image exists "$image"; then echo "ztnet-infra: $image present"; continue; fi
  for try in 1 2 3; do
    if podman pull --quiet "$image" >/dev/null; then break; fi
    if [ "$try" -eq 3 ]; then
      echo "ztnet-infra: cannot pull $image (3 tries); the running containers are untouched. Check the image name and the host's access to its registry." >&2
      exit 1
    fi
    sleep $((try * 10))
  done
  echo "ztnet-infra: pulled $image"
done
