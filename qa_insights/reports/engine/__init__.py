"""The report build engine: plan, run notebooks (papermill), render (nbconvert), publish,
index. Knows nothing of any one report's content."""
