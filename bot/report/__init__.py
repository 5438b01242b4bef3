"""The programme report: anonymous figures per set and session, charts, HTML, CSV and XLSX."""
