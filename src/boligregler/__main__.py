import sys

from boligregler.cli import main

sys.exit(main())
