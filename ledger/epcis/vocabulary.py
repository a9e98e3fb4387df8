"""CBV 2.0 vocabulary terms in bare-string form and the Web URIs they stand for.

EPCIS 2.0 JSON-LD writes standard vocabulary as bare strings (``"shipping"``), which the
EPCIS context (``epcis-context.jsonld``, GS1) expands to CBV Web URIs
(``https://ref.gs1.org/cbv/BizStep-shipping``). The terms below are the context's, field by
field; ``tests/ledger/test_epcis_vocabulary.py`` checks them against the vendored context.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["BIZ_STEPS", "DISPOSITIONS", "TERMS", "expand_term"]

CBV = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://gs1.org/voc/"

BIZ_STEPS = (
    "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
    "creating_class_instance", "cycle_counting", "decommissioning", "departing", "destroying",
    "disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting",
    "installing", "killing", "loading", "other", "packing", "picking", "receiving", "removing",
    "repackaging", "repairing", "replacing", "reserving", "retail_selling", "sampling",
    "sensor_reporting", "shipping", "staging_outbound", "stock_taking", "stocking", "storing",
    "transporting", "unloading", "unpacking", "void_shipping",
)
DISPOSITIONS = (
    "active", "available", "completeness_inferred", "completeness_verified", "conformant",
    "container_closed", "container_open", "damaged", "destroyed", "dispensed", "disposed",
    "encoded", "expired", "in_progress", "in_transit", "inactive", "mismatch_class",
    "mismatch_instance", "mismatch_quantity", "needs_replacement", "no_pedigree_match",
    "non_conformant", "non_sellable_other", "partially_dispensed", "recalled", "reserved",
    "retail_sold", "returned", "sellable_accessible", "sellable_not_accessible", "stolen",
    "unavailable", "unknown",
)
BIZ_TRANSACTION_TYPES = (
    "bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma",
    "testprd", "testres", "upevt",
)
SOURCE_DESTINATION_TYPES = (
    "location", "owning_party", "possessing_party",
)
MEASUREMENT_TYPES = (
    "AbsoluteHumidity", "AbsorbedDose", "AbsorbedDoseRate", "Acceleration", "Altitude",
    "AmountOfSubstance", "AmountOfSubstancePerUnitVolume", "Angle", "AngularAcceleration",
    "AngularMomentum", "AngularVelocity", "Area", "Capacitance", "Conductance", "Conductivity",
    "Count", "Density", "Dimensionless", "DoseEquivalent", "DoseEquivalentRate",
    "DynamicViscosity", "ElectricCharge", "ElectricCurrent", "ElectricCurrentDensity",
    "ElectricFieldStrength", "Energy", "Exposure", "Force", "Frequency", "Illuminance",
    "Inductance", "Irradiance", "KinematicViscosity", "Length", "LinearMomentum", "Luminance",
    "LuminousFlux", "LuminousIntensity", "MagneticFlux", "MagneticFluxDensity",
    "MagneticVectorPotential", "Mass", "MassConcentration", "MassFlowRate", "MassPerAreaTime",
    "MemoryCapacity", "MolalityOfSolute", "MolarEnergy", "MolarMass", "MolarVolume", "Power",
    "Pressure", "RadiantFlux", "RadiantIntensity", "Radioactivity", "RelativeHumidity",
    "Resistance", "Resistivity", "SolidAngle", "SpecificVolume", "Speed", "SurfaceDensity",
    "SurfaceTension", "Temperature", "Time", "Torque", "Voltage", "Volume", "VolumeFlowRate",
    "VolumeFraction", "VolumetricFlux", "Wavenumber",
)
SENSOR_ALERTS = (
    "ALARM_CONDITION", "ERROR_CONDITION",
)
COMPONENTS = (
    "altitude", "axial_distance", "azimuth", "easting", "elevation_angle", "height",
    "latitude", "longitude", "northing", "polar_angle", "spherical_radius", "x", "y", "z",
)
ERROR_REASONS = (
    "did_not_occur", "incorrect_data",
)


def _table(prefix: str, terms: tuple[str, ...]) -> dict[str, str]:
    return {term: prefix + term for term in terms}


# Which terms each vocabulary-valued field takes, by the field's path in an event.
TERMS: Mapping[str, Mapping[str, str]] = {
    "bizStep": _table(CBV + "BizStep-", BIZ_STEPS),
    "disposition": _table(CBV + "Disp-", DISPOSITIONS),
    "persistentDisposition.set": _table(CBV + "Disp-", DISPOSITIONS),
    "persistentDisposition.unset": _table(CBV + "Disp-", DISPOSITIONS),
    "bizTransactionList.type": _table(CBV + "BTT-", BIZ_TRANSACTION_TYPES),
    "sourceList.type": _table(CBV + "SDT-", SOURCE_DESTINATION_TYPES),
    "destinationList.type": _table(CBV + "SDT-", SOURCE_DESTINATION_TYPES),
    "sensorElementList.sensorReport.type": _table(GS1_VOC, MEASUREMENT_TYPES),
    "sensorElementList.sensorReport.exception": _table(GS1_VOC, SENSOR_ALERTS),
    "sensorElementList.sensorReport.component": _table(CBV + "Comp-", COMPONENTS),
    "errorDeclaration.reason": _table(CBV + "ER-", ERROR_REASONS),
}


def expand_term(path: str, value: str) -> str:
    """``value`` of the field at ``path`` as its CBV Web URI if it is a bare term there."""
    table = TERMS.get(path)
    if table is None:
        return value
    return table.get(value, value)
