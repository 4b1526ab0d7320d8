#!/usr/bin/env bash
# Runs the benchmarks that compare the local cloud with baselines measured in
# the same run (moto_server, a no-op API call, a bare net/http server) and
# prints the results as Markdown. Extra arguments go to the benchmark program,
# for example: ./scripts/bench.sh -parts services -duration 2s
set -euo pipefail
cd "$(dirname "$0")/.."
needs_moto=1
case " $* " in
*" -parts "*|*" -parts="*|*" --parts "*|*" --parts="*)
	case " $* " in *services*) ;; *) needs_moto=0 ;; esac ;;
esac
if [ "$needs_moto" = 1 ] && ! command -v moto_server >/dev/null 2>&1; then
	echo "bench: moto_server is not installed (pip install 'moto[server]'); it is the baseline for the S3, SQS and EventBridge workloads" >&2
	exit 1
fi
exec go run ./bench/cmd/dragons-bench "$@"
