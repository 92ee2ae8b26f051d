"""The search evaluation set (issue 15): queries, distractor threads, a loader and a
command that prints hit@1, hit@5 and MRR per kind (`python -m tests.search_eval`)."""
