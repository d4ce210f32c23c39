"""factory-boy factories for the portal's models, shared by every test package."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import BoxType, Carrier, Customer, Product, Vendor
from mapping.models import VendorProduct
from orders.models import (
    Box,
    Prebook,
    PrebookItem,
    PurchaseOrder,
    PurchaseOrderItem,
    UnitType,
)


def future_date(days: int = 3) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    is_staff = True
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            from django.contrib.auth.models import Group

            for name in extracted:
                self.groups.add(Group.objects.get_or_create(name=name)[0])
            self.save()


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"FARM{n}")
    name = factory.LazyAttribute(lambda vendor: f"Flores {vendor.code.title()}")
    port_origin = "BOG"
    is_axerrio = True
    push_url = "http://127.0.0.1:9/axerrio/push"
    signing_secret = factory.Sequence(lambda n: f"test-signing-secret-{n:04d}")
    time_zone = "America/Bogota"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CUST{n}")
    name = factory.LazyAttribute(lambda customer: f"{customer.code.title()} Wholesale Florist")


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CAR{n}")
    name = factory.LazyAttribute(lambda carrier: f"{carrier.code} Logistics")
    kind = Carrier.Kind.OUTBOUND


class BoxTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BoxType
        django_get_or_create = ("code",)

    code = "HB"
    fbe = Decimal("0.5")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("legacy_code",)

    legacy_code = factory.Sequence(lambda n: f"RS-TEST-{n}")
    description = factory.Sequence(lambda n: f"Rose Test{n} Red 50cm")
    category = "Roses"
    variety = factory.Sequence(lambda n: f"Test{n}")
    color = "Red"
    grade = "50cm"


class VendorProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorProduct

    vendor = factory.SubFactory(VendorFactory)
    code = factory.Sequence(lambda n: f"FP{n}")
    description = factory.Sequence(lambda n: f"ROSE FARM VARIETY {n} 50CM")
    target = None


class PrebookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prebook

    number = factory.Sequence(lambda n: 100000 + n)
    customer = factory.SubFactory(CustomerFactory)
    truck_date = factory.LazyFunction(lambda: future_date(3))
    carrier = factory.SubFactory(CarrierFactory)


class PrebookItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrebookItem

    prebook = factory.SubFactory(PrebookFactory)
    vendor = factory.SubFactory(VendorFactory)
    product = factory.SubFactory(ProductFactory)
    box_type = factory.SubFactory(BoxTypeFactory)
    unit_type = UnitType.STEM
    boxes = 5
    bunches = 10
    stems_per_bunch = 25
    cost = Decimal("0.300")
    price = Decimal("0.550")
    vendor_ship_date = factory.LazyFunction(lambda: future_date(1))


class PurchaseOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseOrder

    number = factory.Sequence(lambda n: f"P{200000 + n}")
    vendor = factory.SubFactory(VendorFactory)
    ship_date = factory.LazyFunction(lambda: future_date(1))
    status = PurchaseOrder.Status.PENDING_APPROVAL


class PurchaseOrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseOrderItem

    purchase_order = factory.SubFactory(PurchaseOrderFactory)
    product = factory.SubFactory(ProductFactory)
    box_type = factory.SubFactory(BoxTypeFactory)
    unit_type = UnitType.STEM
    boxes = 5
    bunches = 10
    stems_per_bunch = 25
    cost = Decimal("0.300")


class BoxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Box

    code = factory.Sequence(lambda n: f"RS{n:08d}")
    po_item = factory.SubFactory(PurchaseOrderItemFactory)
    awb = "36912345675"
    lot_number = "120001"
    ship_date = factory.LazyFunction(lambda: future_date(1))
