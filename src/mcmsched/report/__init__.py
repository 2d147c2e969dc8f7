"""Reports: tables (Markdown/CSV/HTML), Gantt timelines, energy breakdowns, Pareto plots,
comparison bars and self-contained HTML pages. Figures are matplotlib ``Figure`` objects built
without pyplot (no global state, no display needed)."""
