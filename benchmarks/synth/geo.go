package synth

import (
	"encoding/csv"
	"io"
	"strings"
)

// The geography tables are written for this package from the public BBS
// administrative codes: division code, two-digit district code (the one that
// opens a 13-digit NID) and a few upazilas per district, each in English and
// Bangla. They are parsed once per Generator, never at package init.

// divisionTable lists the eight divisions: BBS code, English, Bangla.
const divisionTable = `10|Barishal|বরিশাল
20|Chattogram|চট্টগ্রাম
30|Dhaka|ঢাকা
40|Khulna|খুলনা
45|Mymensingh|ময়মনসিংহ
50|Rajshahi|রাজশাহী
55|Rangpur|রংপুর
60|Sylhet|সিলেট`

// districtTable lists the 64 districts: BBS district code, division code,
// English, Bangla, then upazilas as English:Bangla separated by semicolons.
// The last column, a weight, is a rough population share (in lakhs) so that
// Dhaka and Chattogram hold more beneficiaries than Bandarban.
const districtTable = `04|10|Barguna|বরগুনা|Barguna Sadar:বরগুনা সদর;Amtali:আমতলী;Betagi:বেতাগী;Patharghata:পাথরঘাটা|10
06|10|Barishal|বরিশাল|Barishal Sadar:বরিশাল সদর;Bakerganj:বাকেরগঞ্জ;Gournadi:গৌরনদী;Muladi:মুলাদী;Mehendiganj:মেহেন্দিগঞ্জ|24
09|10|Bhola|ভোলা|Bhola Sadar:ভোলা সদর;Char Fasson:চরফ্যাশন;Lalmohan:লালমোহন;Daulatkhan:দৌলতখান|19
42|10|Jhalokati|ঝালকাঠি|Jhalokati Sadar:ঝালকাঠি সদর;Nalchity:নলছিটি;Rajapur:রাজাপুর;Kathalia:কাঠালিয়া|7
78|10|Patuakhali|পটুয়াখালী|Patuakhali Sadar:পটুয়াখালী সদর;Kalapara:কলাপাড়া;Galachipa:গলাচিপা;Bauphal:বাউফল|16
79|10|Pirojpur|পিরোজপুর|Pirojpur Sadar:পিরোজপুর সদর;Mathbaria:মঠবাড়িয়া;Bhandaria:ভান্ডারিয়া;Nazirpur:নাজিরপুর|11
03|20|Bandarban|বান্দরবান|Bandarban Sadar:বান্দরবান সদর;Lama:লামা;Ruma:রুমা;Thanchi:থানচি|5
12|20|Brahmanbaria|ব্রাহ্মণবাড়িয়া|Brahmanbaria Sadar:ব্রাহ্মণবাড়িয়া সদর;Sarail:সরাইল;Nabinagar:নবীনগর;Kasba:কসবা;Ashuganj:আশুগঞ্জ|34
13|20|Chandpur|চাঁদপুর|Chandpur Sadar:চাঁদপুর সদর;Hajiganj:হাজীগঞ্জ;Matlab Dakshin:মতলব দক্ষিণ;Kachua:কচুয়া;Faridganj:ফরিদগঞ্জ|27
15|20|Chattogram|চট্টগ্রাম|Hathazari:হাটহাজারী;Patiya:পটিয়া;Sitakunda:সীতাকুণ্ড;Raozan:রাউজান;Banshkhali:বাঁশখালী;Mirsharai:মীরসরাই;Satkania:সাতকানিয়া|91
19|20|Cumilla|কুমিল্লা|Cumilla Adarsha Sadar:কুমিল্লা আদর্শ সদর;Debidwar:দেবিদ্বার;Laksam:লাকসাম;Chandina:চান্দিনা;Daudkandi:দাউদকান্দি;Muradnagar:মুরাদনগর|64
22|20|Cox's Bazar|কক্সবাজার|Cox's Bazar Sadar:কক্সবাজার সদর;Chakaria:চকরিয়া;Teknaf:টেকনাফ;Ukhia:উখিয়া;Ramu:রামু|29
30|20|Feni|ফেনী|Feni Sadar:ফেনী সদর;Chhagalnaiya:ছাগলনাইয়া;Sonagazi:সোনাগাজী;Parshuram:পরশুরাম|17
46|20|Khagrachhari|খাগড়াছড়ি|Khagrachhari Sadar:খাগড়াছড়ি সদর;Dighinala:দীঘিনালা;Matiranga:মাটিরাঙ্গা;Ramgarh:রামগড়|7
51|20|Lakshmipur|লক্ষ্মীপুর|Lakshmipur Sadar:লক্ষ্মীপুর সদর;Raipur:রায়পুর;Ramganj:রামগঞ্জ;Ramgati:রামগতি|19
75|20|Noakhali|নোয়াখালী|Noakhali Sadar:নোয়াখালী সদর;Begumganj:বেগমগঞ্জ;Hatiya:হাতিয়া;Chatkhil:চাটখিল;Companiganj:কোম্পানীগঞ্জ|36
84|20|Rangamati|রাঙ্গামাটি|Rangamati Sadar:রাঙ্গামাটি সদর;Kaptai:কাপ্তাই;Baghaichhari:বাঘাইছড়ি;Kawkhali:কাউখালী|6
26|30|Dhaka|ঢাকা|Savar:সাভার;Dhamrai:ধামরাই;Keraniganj:কেরানীগঞ্জ;Nawabganj:নবাবগঞ্জ;Dohar:দোহার|150
29|30|Faridpur|ফরিদপুর|Faridpur Sadar:ফরিদপুর সদর;Boalmari:বোয়ালমারী;Bhanga:ভাঙ্গা;Madhukhali:মধুখালী;Nagarkanda:নগরকান্দা|22
33|30|Gazipur|গাজীপুর|Gazipur Sadar:গাজীপুর সদর;Kaliakair:কালিয়াকৈর;Kapasia:কাপাসিয়া;Sreepur:শ্রীপুর;Kaliganj:কালীগঞ্জ|53
35|30|Gopalganj|গোপালগঞ্জ|Gopalganj Sadar:গোপালগঞ্জ সদর;Kashiani:কাশিয়ানী;Kotalipara:কোটালীপাড়া;Tungipara:টুঙ্গিপাড়া;Muksudpur:মুকসুদপুর|13
48|30|Kishoreganj|কিশোরগঞ্জ|Kishoreganj Sadar:কিশোরগঞ্জ সদর;Bhairab:ভৈরব;Bajitpur:বাজিতপুর;Itna:ইটনা;Katiadi:কটিয়াদী|32
54|30|Madaripur|মাদারীপুর|Madaripur Sadar:মাদারীপুর সদর;Shibchar:শিবচর;Kalkini:কালকিনি;Rajoir:রাজৈর|13
56|30|Manikganj|মানিকগঞ্জ|Manikganj Sadar:মানিকগঞ্জ সদর;Singair:সিংগাইর;Saturia:সাটুরিয়া;Ghior:ঘিওর;Shibalaya:শিবালয়|16
59|30|Munshiganj|মুন্সিগঞ্জ|Munshiganj Sadar:মুন্সিগঞ্জ সদর;Sreenagar:শ্রীনগর;Tongibari:টংগিবাড়ী;Gazaria:গজারিয়া;Sirajdikhan:সিরাজদিখান|16
67|30|Narayanganj|নারায়ণগঞ্জ|Narayanganj Sadar:নারায়ণগঞ্জ সদর;Rupganj:রূপগঞ্জ;Sonargaon:সোনারগাঁও;Araihazar:আড়াইহাজার;Bandar:বন্দর|39
68|30|Narsingdi|নরসিংদী|Narsingdi Sadar:নরসিংদী সদর;Palash:পলাশ;Shibpur:শিবপুর;Monohardi:মনোহরদী;Raipura:রায়পুরা;Belabo:বেলাবো|25
82|30|Rajbari|রাজবাড়ী|Rajbari Sadar:রাজবাড়ী সদর;Goalanda:গোয়ালন্দ;Pangsha:পাংশা;Baliakandi:বালিয়াকান্দি|12
86|30|Shariatpur|শরীয়তপুর|Shariatpur Sadar:শরীয়তপুর সদর;Naria:নড়িয়া;Zanjira:জাজিরা;Bhedarganj:ভেদরগঞ্জ;Gosairhat:গোসাইরহাট|13
93|30|Tangail|টাঙ্গাইল|Tangail Sadar:টাঙ্গাইল সদর;Madhupur:মধুপুর;Ghatail:ঘাটাইল;Mirzapur:মির্জাপুর;Kalihati:কালিহাতী;Gopalpur:গোপালপুর|40
01|40|Bagerhat|বাগেরহাট|Bagerhat Sadar:বাগেরহাট সদর;Mongla:মোংলা;Morrelganj:মোড়েলগঞ্জ;Rampal:রামপাল;Fakirhat:ফকিরহাট|15
18|40|Chuadanga|চুয়াডাঙ্গা|Chuadanga Sadar:চুয়াডাঙ্গা সদর;Alamdanga:আলমডাঙ্গা;Damurhuda:দামুড়হুদা;Jibannagar:জীবননগর|12
41|40|Jashore|যশোর|Jashore Sadar:যশোর সদর;Jhikargachha:ঝিকরগাছা;Manirampur:মণিরামপুর;Keshabpur:কেশবপুর;Chaugachha:চৌগাছা;Sharsha:শার্শা|30
44|40|Jhenaidah|ঝিনাইদহ|Jhenaidah Sadar:ঝিনাইদহ সদর;Shailkupa:শৈলকুপা;Kaliganj:কালীগঞ্জ;Maheshpur:মহেশপুর;Harinakunda:হরিণাকুন্ডু|20
47|40|Khulna|খুলনা|Dumuria:ডুমুরিয়া;Batiaghata:বটিয়াঘাটা;Dacope:দাকোপ;Koyra:কয়রা;Paikgachha:পাইকগাছা;Rupsha:রূপসা|24
50|40|Kushtia|কুষ্টিয়া|Kushtia Sadar:কুষ্টিয়া সদর;Kumarkhali:কুমারখালী;Bheramara:ভেড়ামারা;Daulatpur:দৌলতপুর;Mirpur:মিরপুর|22
55|40|Magura|মাগুরা|Magura Sadar:মাগুরা সদর;Sreepur:শ্রীপুর;Shalikha:শালিখা;Mohammadpur:মহম্মদপুর|10
57|40|Meherpur|মেহেরপুর|Meherpur Sadar:মেহেরপুর সদর;Gangni:গাংনী;Mujibnagar:মুজিবনগর|7
65|40|Narail|নড়াইল|Narail Sadar:নড়াইল সদর;Lohagara:লোহাগড়া;Kalia:কালিয়া|8
87|40|Satkhira|সাতক্ষীরা|Satkhira Sadar:সাতক্ষীরা সদর;Shyamnagar:শ্যামনগর;Kaliganj:কালীগঞ্জ;Assasuni:আশাশুনি;Tala:তালা;Kalaroa:কলারোয়া|22
39|45|Jamalpur|জামালপুর|Jamalpur Sadar:জামালপুর সদর;Islampur:ইসলামপুর;Melandaha:মেলান্দহ;Sarishabari:সরিষাবাড়ী;Dewanganj:দেওয়ানগঞ্জ|25
61|45|Mymensingh|ময়মনসিংহ|Mymensingh Sadar:ময়মনসিংহ সদর;Trishal:ত্রিশাল;Bhaluka:ভালুকা;Muktagachha:মুক্তাগাছা;Gafargaon:গফরগাঁও;Haluaghat:হালুয়াঘাট|51
72|45|Netrokona|নেত্রকোণা|Netrokona Sadar:নেত্রকোণা সদর;Mohanganj:মোহনগঞ্জ;Kendua:কেন্দুয়া;Durgapur:দুর্গাপুর;Purbadhala:পূর্বধলা|23
89|45|Sherpur|শেরপুর|Sherpur Sadar:শেরপুর সদর;Nalitabari:নালিতাবাড়ী;Sreebardi:শ্রীবরদী;Nakla:নকলা;Jhenaigati:ঝিনাইগাতী|15
10|50|Bogura|বগুড়া|Bogura Sadar:বগুড়া সদর;Sherpur:শেরপুর;Shibganj:শিবগঞ্জ;Dhunat:ধুনট;Sariakandi:সারিয়াকান্দি;Gabtali:গাবতলী|35
38|50|Joypurhat|জয়পুরহাট|Joypurhat Sadar:জয়পুরহাট সদর;Panchbibi:পাঁচবিবি;Akkelpur:আক্কেলপুর;Kalai:কালাই|10
64|50|Naogaon|নওগাঁ|Naogaon Sadar:নওগাঁ সদর;Mahadebpur:মহাদেবপুর;Manda:মান্দা;Niamatpur:নিয়ামতপুর;Patnitala:পত্নীতলা;Atrai:আত্রাই|27
69|50|Natore|নাটোর|Natore Sadar:নাটোর সদর;Singra:সিংড়া;Baraigram:বড়াইগ্রাম;Lalpur:লালপুর;Gurudaspur:গুরুদাসপুর|17
70|50|Chapai Nawabganj|চাঁপাইনবাবগঞ্জ|Chapai Nawabganj Sadar:চাঁপাইনবাবগঞ্জ সদর;Shibganj:শিবগঞ্জ;Gomastapur:গোমস্তাপুর;Nachole:নাচোল;Bholahat:ভোলাহাট|17
76|50|Pabna|পাবনা|Pabna Sadar:পাবনা সদর;Ishwardi:ঈশ্বরদী;Chatmohar:চাটমোহর;Sujanagar:সুজানগর;Bera:বেড়া;Santhia:সাঁথিয়া|26
81|50|Rajshahi|রাজশাহী|Paba:পবা;Godagari:গোদাগাড়ী;Tanore:তানোর;Bagmara:বাগমারা;Puthia:পুঠিয়া;Charghat:চারঘাট|26
88|50|Sirajganj|সিরাজগঞ্জ|Sirajganj Sadar:সিরাজগঞ্জ সদর;Ullapara:উল্লাপাড়া;Shahjadpur:শাহজাদপুর;Belkuchi:বেলকুচি;Kazipur:কাজীপুর;Raiganj:রায়গঞ্জ|32
27|55|Dinajpur|দিনাজপুর|Dinajpur Sadar:দিনাজপুর সদর;Birganj:বীরগঞ্জ;Parbatipur:পার্বতীপুর;Phulbari:ফুলবাড়ী;Chirirbandar:চিরিরবন্দর;Bochaganj:বোচাগঞ্জ|31
32|55|Gaibandha|গাইবান্ধা|Gaibandha Sadar:গাইবান্ধা সদর;Gobindaganj:গোবিন্দগঞ্জ;Sundarganj:সুন্দরগঞ্জ;Palashbari:পলাশবাড়ী;Saghata:সাঘাটা|25
49|55|Kurigram|কুড়িগ্রাম|Kurigram Sadar:কুড়িগ্রাম সদর;Ulipur:উলিপুর;Nageshwari:নাগেশ্বরী;Chilmari:চিলমারী;Bhurungamari:ভুরুঙ্গামারী|23
52|55|Lalmonirhat|লালমনিরহাট|Lalmonirhat Sadar:লালমনিরহাট সদর;Hatibandha:হাতীবান্ধা;Patgram:পাটগ্রাম;Aditmari:আদিতমারী;Kaliganj:কালীগঞ্জ|14
73|55|Nilphamari|নীলফামারী|Nilphamari Sadar:নীলফামারী সদর;Saidpur:সৈয়দপুর;Domar:ডোমার;Dimla:ডিমলা;Jaldhaka:জলঢাকা|19
77|55|Panchagarh|পঞ্চগড়|Panchagarh Sadar:পঞ্চগড় সদর;Boda:বোদা;Debiganj:দেবীগঞ্জ;Tetulia:তেঁতুলিয়া;Atwari:আটোয়ারী|11
85|55|Rangpur|রংপুর|Rangpur Sadar:রংপুর সদর;Mithapukur:মিঠাপুকুর;Pirganj:পীরগঞ্জ;Badarganj:বদরগঞ্জ;Gangachara:গংগাচড়া;Kaunia:কাউনিয়া|29
94|55|Thakurgaon|ঠাকুরগাঁও|Thakurgaon Sadar:ঠাকুরগাঁও সদর;Pirganj:পীরগঞ্জ;Ranisankail:রাণীশংকৈল;Baliadangi:বালিয়াডাঙ্গী;Haripur:হরিপুর|14
36|60|Habiganj|হবিগঞ্জ|Habiganj Sadar:হবিগঞ্জ সদর;Nabiganj:নবীগঞ্জ;Baniachong:বানিয়াচং;Madhabpur:মাধবপুর;Chunarughat:চুনারুঘাট|21
58|60|Moulvibazar|মৌলভীবাজার|Moulvibazar Sadar:মৌলভীবাজার সদর;Sreemangal:শ্রীমঙ্গল;Kulaura:কুলাউড়া;Kamalganj:কমলগঞ্জ;Barlekha:বড়লেখা|20
90|60|Sunamganj|সুনামগঞ্জ|Sunamganj Sadar:সুনামগঞ্জ সদর;Chhatak:ছাতক;Jagannathpur:জগন্নাথপুর;Derai:দিরাই;Tahirpur:তাহিরপুর|25
91|60|Sylhet|সিলেট|Sylhet Sadar:সিলেট সদর;Beanibazar:বিয়ানীবাজার;Golapganj:গোলাপগঞ্জ;Bishwanath:বিশ্বনাথ;Companiganj:কোম্পানীগঞ্জ;Zakiganj:জকিগঞ্জ|35`

// placeTable lists common union and village names (English:Bangla). Real
// unions repeat these names across the country, which is exactly why the
// matcher must not trust an address alone.
const placeTable = `Rampur:রামপুর;Krishnapur:কৃষ্ণপুর;Hasanpur:হাসানপুর;Madhupur:মধুপুর;Chandpur:চাঁদপুর;Islampur:ইসলামপুর;Nayapara:নয়াপাড়া;Purbapara:পূর্বপাড়া;Paschimpara:পশ্চিমপাড়া;Uttarpara:উত্তরপাড়া;Dakshinpara:দক্ষিণপাড়া;Char Kalia:চর কালিয়া;Kashimpur:কাশিমপুর;Gopalpur:গোপালপুর;Shibpur:শিবপুর;Fatehpur:ফতেপুর;Jamalpur:জামালপুর;Baliadanga:বালিয়াডাঙ্গা;Kalikapur:কালিকাপুর;Noapara:নোয়াপাড়া;Sonapur:সোনাপুর;Rajapur:রাজাপুর;Bhabanipur:ভবানীপুর;Durgapur:দুর্গাপুর;Kamalpur:কমলপুর;Alipur:আলীপুর;Harinagar:হরিনগর;Bashbaria:বাঁশবাড়িয়া;Charpara:চরপাড়া;Mominpur:মোমিনপুর;Ghoshpara:ঘোষপাড়া;Mollapara:মোল্লাপাড়া;Sheikhpara:শেখপাড়া;Beltali:বেলতলী;Amtala:আমতলা;Bottola:বটতলা;Kathaltali:কাঁঠালতলী;Nischintapur:নিশ্চিন্তপুর;Radhanagar:রাধানগর;Fulbari:ফুলবাড়ী`

// place is a name in both scripts.
type place struct{ en, bn string }

type upazila struct {
	place
	code string // two-digit serial within the district, as in a 13-digit NID
}

type district struct {
	place
	code     string // BBS two-digit district code
	division place
	divCode  string // BBS division code
	upazilas []upazila
	weight   int
}

type geography struct {
	districts []district
	cum       []int // cumulative weights, for weighted draws
	places    []place
}

func parseGeography() geography {
	divs := map[string]place{}
	for _, line := range strings.Split(divisionTable, "\n") {
		f := strings.Split(line, "|")
		divs[f[0]] = place{en: f[1], bn: f[2]}
	}
	var g geography
	total := 0
	for _, line := range strings.Split(districtTable, "\n") {
		f := strings.Split(line, "|")
		d := district{place: place{en: f[2], bn: f[3]}, code: f[0], division: divs[f[1]], divCode: f[1]}
		for i, u := range strings.Split(f[4], ";") {
			en, bn, _ := strings.Cut(u, ":")
			d.upazilas = append(d.upazilas, upazila{place: place{en: en, bn: bn}, code: twoDigits(i*7 + 11)})
		}
		d.weight = atoi(f[5])
		total += d.weight
		g.districts = append(g.districts, d)
		g.cum = append(g.cum, total)
	}
	for _, p := range strings.Split(placeTable, ";") {
		en, bn, _ := strings.Cut(p, ":")
		g.places = append(g.places, place{en: en, bn: bn})
	}
	return g
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10%10), byte('0' + n%10)}) }

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// WritePlaces writes a places file (see domain.ParsePlaces) of the
// generator's own made-up geography: each district's upazilas with the
// codes the generator gives them, and under each upazila the union names
// it draws from, numbered in table order. It lets the demo read its
// synthetic addresses as places; it is not the BBS list.
func WritePlaces(w io.Writer) error {
	g := parseGeography()
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"division", "district", "upazila", "union", "name_en", "name_bn", "also"})
	for _, d := range g.districts {
		for _, u := range d.upazilas {
			_ = cw.Write([]string{d.divCode, d.code, u.code, "", u.en, u.bn, ""})
			for i, p := range g.places {
				_ = cw.Write([]string{d.divCode, d.code, u.code, twoDigits(i + 1), p.en, p.bn, ""})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
