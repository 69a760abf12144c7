"""Services of kezek.integrity: the phantom scan and flag reviews, automatic suspensions, parents' disputes."""
