from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "dudao.orgs"
    verbose_name = "组织机构"

    def ready(self) -> None:
        """Every model row of the project is checked on save: text within its max_length, no control characters
        (:func:`dudao.inputs.guard_model_text`; orgs is the first app loaded, so this covers all of them)."""
        from django.db.models.signals import pre_save

        from dudao.inputs import guard_model_text

        pre_save.connect(guard_model_text, dispatch_uid="dudao.inputs.guard_model_text")
