module pollchat.local/bench/peers/go-peer

go 1.19
