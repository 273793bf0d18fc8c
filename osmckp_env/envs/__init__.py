"""Gymnasium environments: the text exam env (OSMCKP-v0, OSMCKP-Seq-v0) and the numeric sim."""
