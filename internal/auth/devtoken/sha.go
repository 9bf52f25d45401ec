package main

import "crypto"

const cryptoSHA256 = crypto.SHA256
