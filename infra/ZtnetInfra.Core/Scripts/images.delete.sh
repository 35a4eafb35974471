#!/usr/bin/env bash
# images, delete (service user): removes the images this stack pulled, where no container uses them any more.
# Inputs: images (array: the four image references stored with the step).
: "${images[0]:?}"
for image in "${images[@]}"; do
  if podman image exists "$image" && podman image rm "$image" >/dev/null 2>&1; then echo "ztnet-infra: removed $image"; fi
done
