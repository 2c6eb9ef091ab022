from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NluConfig(AppConfig):
    name = "kefu.nlu"
    label = "nlu"
    verbose_name = _("Language understanding")
