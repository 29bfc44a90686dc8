"""Drive hosts: notice discs going in and out, and start the pipeline for each new disc."""
