"""The map's overlay hook: a registry of providers from the apps above journeys (like Django admin's
registry). Apps register in AppConfig.ready(); the map page and the map API call `collect` once per request.
Nothing in journeys imports an upper app. Base types: core/overlays.py.
"""

from core.overlays import MapIds, Overlay, OverlayProvider

from .selectors import MapData

_providers: dict[str, OverlayProvider] = {}


def register(provider: OverlayProvider) -> None:
    """Add a provider; ValueError when another provider already uses its name."""
    existing = _providers.get(provider.name)
    if existing is not None and existing is not provider:
        raise ValueError(f"An overlay named {provider.name!r} is already registered.")
    _providers[provider.name] = provider


def unregister(name: str) -> None:
    """Remove the provider of that name (tests; an app being switched off). No error when absent."""
    _providers.pop(name, None)


def providers() -> list[OverlayProvider]:
    """The registered providers, in registration order."""
    return list(_providers.values())


def map_ids(map_data: MapData) -> MapIds:
    """The ids a provider may decorate, from a map read through journeys.selectors.journey_map."""
    return MapIds(
        journey=map_data.journey.pk,
        stages=tuple(stage.pk for stage in map_data.stages),
        steps=tuple(step.pk for step in map_data.steps),
        cards=tuple(card.pk for cards in map_data.cards_by_cell.values() for card in cards),
    )


def collect(
    *, map_data: MapData | None = None, user, ids: MapIds | None = None, names=None
) -> dict[str, Overlay]:
    """{provider name: Overlay} for this map (`map_data`, or just its `ids`) and reader: every provider
    (or only those named in `names`, an iterable of provider names) asked once."""
    ids = ids if ids is not None else map_ids(map_data)
    wanted = _providers.values() if names is None else [_providers[n] for n in names if n in _providers]
    return {provider.name: provider.decorate(ids=ids, user=user) for provider in wanted}


def names_from(raw: str | None) -> list[str]:
    """The overlays a request asks for: `raw` is "" or None (none), "all", or provider names separated by
    commas ("evidence,metrics"). Raises ValueError naming an unknown one and the known ones."""
    asked = [name.strip() for name in (raw or "").split(",") if name.strip()]
    if asked == ["all"]:
        return list(_providers)
    unknown = [name for name in asked if name not in _providers]
    if unknown:
        known = ", ".join(["all", *_providers]) or "none"
        raise ValueError(f"No overlay named “{unknown[0]}” (known: {known}).")
    return list(dict.fromkeys(asked))
