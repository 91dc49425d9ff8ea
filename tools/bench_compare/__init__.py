"""tools/bench-compare as a package: brokers (start, PKI, CPU), scenarios (the rows), runs
(arkmq-bench, repeats, medians), table (Markdown rows). docs/bench.md describes the rows."""
