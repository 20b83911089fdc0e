"""The patrol service: an HTTP API for patrol tools and a review page for people (``pip install "pilkada-nlp[service]"``).

Modules, one concern each:

* :mod:`~pilkada_nlp.service.config`: the settings a deployment chooses (limits, paths, logging);
* :mod:`~pilkada_nlp.service.keys`: API keys and their roles, stored hashed in a JSON keys file;
* :mod:`~pilkada_nlp.service.limits`: the per-key rate limiter;
* :mod:`~pilkada_nlp.service.coalesce`: one-post requests that arrive while the model is busy share one call;
* :mod:`~pilkada_nlp.service.metrics`: counters and histograms, rendered as Prometheus text;
* :mod:`~pilkada_nlp.service.store`: the review queue and reviewers' decisions, in SQLite;
* :mod:`~pilkada_nlp.service.exports`: the store as a ``review-import`` file or Label Studio tasks, and back;
* :mod:`~pilkada_nlp.service.highlight`: where the explanation's words are in the original text;
* :mod:`~pilkada_nlp.service.schemas`: the JSON bodies of requests and answers (the OpenAPI schema);
* :mod:`~pilkada_nlp.service.app`: the FastAPI application that ties them to the model;
* :mod:`~pilkada_nlp.service.pages`: the review page (templates and static files are package data).

The service holds no model logic: every score comes from :meth:`pilkada_nlp.Classifier.classify`, and the review queue
is chosen by the ``review-export`` rules of :mod:`pilkada_nlp.review`.
"""
