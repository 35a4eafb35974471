#!/usr/bin/env bash
# data-dirs, delete with ztnet:retainDataOnDestroy true: the step is retained on delete (Pulumi's
# RetainOnDelete), so Pulumi drops it from the state and runs nothing; this text says so.
# Inputs: data (ztnet:dataDir).
: "${data:?}"
echo "ztnet-infra: keeping $data: a new stack reuses it (ztnet:retainDataOnDestroy is true)"
