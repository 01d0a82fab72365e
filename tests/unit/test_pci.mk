# The PCI core and mediator registry over a synthetic config space.
test_pci_SRCS := drivers/pci.c drivers/registry.c core/format.c $(HV_HOST)
