"""Licence of every data source a model can be trained on; copied into each model's manifest and the model card.

Taken from ``../shared/datasets/README.md`` and the sources' ``SOURCE.md``. Most are non-commercial or unlicensed
(research use), so models trained on them are for non-commercial research and public-interest use only.
"""

LICENCES: dict[str, str] = {
    "ibrohim_multilabel_hs": "CC BY-NC-SA 4.0 (Ibrohim & Budi 2019)",
    "alfina_idhsd_pilkada_dki2017": "free use with citation, no public redistribution (Alfina et al. 2017)",
    "netifier_toxicity": "none in repo; SEACrowd lists CC BY-NC-SA 4.0",
    "nofaaulia_hsd_facebook": "unknown (research use)",
    "desrul_news_comments_abusive": "none in repo; SEACrowd lists CC BY-SA 4.0",
    "bdc2020_satriadata_hoax": "none stated (BDC Satria Data 2020 competition data)",
    "turnbackhoax2024_alharkan": "none in repo (research use)",
    "mafindo_hoax_1k": "none in repo (research use)",
    "pilpres2024_hoax_headlines": "none in repo (research use)",
    "pratiwi2017_hoax_news": "CC BY 4.0 (Mendeley Data)",
    "id_stance_political_blogs": "CC BY-NC-SA 4.0",
    "black_campaign_pilpres2024": "none in repo (research use); texts only, upstream labels not used",
    "pilkada_jatim2024_tweets": "none in repo (research use); texts only, labels by this project",
    "pilkada_banten2024_youtube": "none in repo (research use); texts only, labels by this project",
    "authored": "this project's own posts (data/authored/), same licence as pilkada-nlp",
}
