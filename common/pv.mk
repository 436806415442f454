# PV guest services: event channels, grant table, guest console.
hv-y += common/event_channel.o common/grant_table.o common/guest_console.o
