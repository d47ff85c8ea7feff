"""``ray job submit --working-dir . -- python jobs/curate.py INPUT... --out DIR [key=value ...]``

Runs ``skyray curate`` inside a Ray job: ``RAY_ADDRESS`` is set by the job, so the stage joins
the cluster instead of starting a local one. Relative INPUT and DIR live under the storage root
(``SKYRAY_STORAGE``)."""

import sys

from _entry import run

if __name__ == "__main__":
    sys.exit(run(["curate"]))
