from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        # Connect the sign-in signal handlers that feed the login throttle.
        from security import login_throttle  # noqa: F401
