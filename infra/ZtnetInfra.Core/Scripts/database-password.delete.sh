#!/usr/bin/env bash
# database-password, delete (service user): forgets which secrets ZTNet runs with.
rm -f "$HOME/.config/ztnet-infra/secrets-in-effect.sha256"
