"""``python -m pilkada_nlp``: the ``pilkada-nlp`` command, for environments where the script is not on ``PATH``."""

from pilkada_nlp.cli import main

raise SystemExit(main())
