#!/usr/bin/env bash
# service-account, delete with ztnet:retainDataOnDestroy true: the step is retained on delete
# (Pulumi's RetainOnDelete), so Pulumi drops it from the state and runs nothing; this text says so.
# Inputs: user (ztnet:serviceUser).
: "${user:?}"
echo "ztnet-infra: keeping the account $user (ztnet:retainDataOnDestroy is true)"
