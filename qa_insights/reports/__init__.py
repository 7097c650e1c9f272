"""Report content (one module per report) and the build engine (:mod:`qa_insights.reports.engine.build.engine`)."""
