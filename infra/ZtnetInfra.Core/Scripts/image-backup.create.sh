#!/usr/bin/env bash
# image-backup, create (root): before the PostgreSQL or ZTNet unit moves a running container to
# another image (ZTNet migrates the database at every start: prisma migrate deploy, sinamics/ztnet
# v0.8.2 init-db.sh), one backup is taken with the installed program; when no such container runs
# (a first deploy, or the pod stopped with nothing to move), nothing is done. A failed backup fails
# this step, so the unit steps after it do not run and the containers keep their images.
# Inputs: service_user, program, containers (array), images (array, the same order: the images
# the settings name now).
# uses: as-service-user.sh
: "${service_user:?}" "${program:?}" "${containers[0]:?}" "${images[0]:?}"
moving=()
for i in "${!containers[@]}"; do
  c=${containers[$i]}
  running=$(as_user podman container inspect --format '{{.ImageName}}' "$c" 2> /dev/null) || continue
  if [ "$running" != "${images[$i]}" ]; then moving+=("$c: $running -> ${images[$i]}"); fi
done
if [ "${#moving[@]}" -eq 0 ]; then
  echo "ztnet-infra: no container moves to another image: no backup needed"
  exit 0
fi
printf 'ztnet-infra: backup before the image change (%s)\n' "${moving[@]}"
bash "$program" run image-change
